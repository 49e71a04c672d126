/**
 * An interpolated Kneser-Ney 3-gram model: the classic count-based baseline the LSTM has to beat,
 * the "fixed window" model shown beside it in explanations, and a fallback for corpora too small
 * to train a network.
 *
 * Estimation (Chen & Goodman 1998, "interpolated modified Kneser-Ney"):
 *
 * - Every sentence is padded as `BOS BOS w1 .. wn EOS`; the model predicts `w1 .. wn EOS`.
 *   `UNK` is an ordinary word: the vocabulary decides which words it stands for. Words seen once
 *   may also stand for it ({@link KneserNeyOptions.unknownStandIns}): a vocabulary that keeps every
 *   word of a small corpus leaves `UNK` without a single training occurrence, yet held-out text
 *   is full of new words.
 * - Trigram level, context `u v`: `P3(w) = (c(uvw) - D3(c(uvw))) / c(uv·) + γ(uv) · P2(w | v)`
 *   with raw counts `c`.
 * - Bigram level, context `v`: the same formula on continuation counts `N1+(· v w)` (how many
 *   different words precede `v w`), except for `v = BOS`: nothing precedes the start of a
 *   sentence, so those bigrams keep their raw counts (as SRILM and KenLM do). For the first word
 *   (context `BOS BOS`) this is the highest level: a trigram level would only discount the same
 *   counts a second time.
 * - Unigram level: continuation counts `N1+(· w)`, interpolated with a uniform floor over every id
 *   that can follow a context (all ids but {@link PAD} and {@link BOS}, which are never
 *   predicted), so every predictable id, a word never seen in training included, has a non-zero
 *   probability.
 * - `γ(context) = (D(1)·N1 + D(2)·N2 + D(3+)·N3+) / total`, where `Nk` counts the continuations
 *   of the context seen `k` times: exactly the mass removed by discounting.
 * - Discounts per level from that level's counts of counts `n1..n4`, `Y = n1 / (n1 + 2 n2)`:
 *   `'modified'` (default) uses `D(1) = 1 - 2Y n2/n1`, `D(2) = 2 - 3Y n3/n2`,
 *   `D(3+) = 3 - 4Y n4/n3`; `'standard'` uses `Y` for every count. When the counts of counts are
 *   too sparse for an estimate (small corpora), modified falls back to standard, and standard to
 *   `FALLBACK_DISCOUNT` (in `kneser-ney-counts.ts`).
 *
 * Compared with IRSTLM's improved Kneser-Ney (`tlm -lm=ikn`): no n-gram is pruned (IRSTLM drops
 * trigram singletons unless `-ps=no`), and the unigram discount mass goes to the uniform floor
 * rather than to the unknown word (which IRSTLM then divides among `-dub` unseen words). With
 * those two conventions aligned, held-out perplexities of both agree within 1%.
 *
 * @module
 */
import { BOS, PAD } from './special-tokens.ts';
import {
  buildState,
  checkDiscounts,
  checkLevel,
  checkVocabSize,
  countTrigrams,
  lowerBound,
  type DiscountVariant,
  type Discounts,
  type KneserNeyLevel,
  type KneserNeyState,
} from './kneser-ney-counts.ts';
import { topCandidates } from './evaluate.ts';
import { singletonIds } from './unknown-words.ts';
import type { Candidate, NextTokenPredictor } from './evaluate.ts';

/** Options of {@link KneserNeyTrigram.train}. */
export interface KneserNeyOptions {
  /** Default `'modified'`. */
  discounts?: DiscountVariant;
  /**
   * Ids of words seen once in the corpus (see `Vocabulary.singletonIds`). Each occurrence of one
   * also counts as an occurrence of `UNK` in the same context: by Good–Turing's reasoning, the
   * words seen once are the best sample of the words not seen at all, so the unknown word gets
   * the probability, and the contexts, where new words appear. The words themselves keep their
   * own counts and stay predictable.
   */
  unknownStandIns?: Iterable<number>;
}

/** An interpolated Kneser-Ney 3-gram model over a fixed vocabulary; see the module documentation. */
export class KneserNeyTrigram implements NextTokenPredictor {
  /** Ids run from 0 to `vocabSize - 1`. */
  readonly vocabSize: number;
  /** The discounts of the unigram, bigram and trigram levels, in that order. */
  readonly discounts: readonly [Discounts, Discounts, Discounts];
  private readonly bigram: KneserNeyLevel;
  private readonly trigram: KneserNeyLevel;
  private readonly unigramDistribution: Float64Array<ArrayBuffer>;

  private constructor(state: KneserNeyState) {
    this.vocabSize = state.vocabSize;
    this.bigram = state.bigram;
    this.trigram = state.trigram;
    this.unigramDistribution = state.unigramDistribution;
    this.discounts = [state.unigramDiscounts, state.bigram.discounts, state.trigram.discounts];
  }

  /**
   * Trains on sentences of ids (without start or end markers; `UNK` allowed).
   *
   * @param vocabSize Number of ids, special tokens included.
   * @throws RangeError on an id outside the vocabulary, a start, end or padding id inside a
   *   sentence, or a vocabulary too large for the packed trigram keys.
   */
  static train(sentences: readonly (readonly number[])[], vocabSize: number, options: KneserNeyOptions = {}): KneserNeyTrigram {
    checkVocabSize(vocabSize);
    const { keys, counts } = countTrigrams(sentences, vocabSize, options.unknownStandIns ?? []);
    return new KneserNeyTrigram(buildState(vocabSize, options.discounts ?? 'modified', keys, counts));
  }

  /**
   * Trains on sentences of ids with the words seen once in them standing in for the unknown word
   * ({@link KneserNeyOptions.unknownStandIns}): the 3-gram the bot serves, mixes with the LSTM and
   * compares it with, which must give new words a fair probability.
   */
  static trainWithUnknownWords(sentences: readonly (readonly number[])[], vocabSize: number): KneserNeyTrigram {
    return KneserNeyTrigram.train(sentences, vocabSize, { unknownStandIns: singletonIds(sentences) });
  }

  /**
   * The model a state from {@link toState} describes (e.g. trained in another thread), sharing
   * its arrays: no computation, so it takes no time whatever the model's size.
   *
   * @throws RangeError on a state whose arrays do not fit together, or a vocabulary size that
   *   {@link train} would refuse.
   */
  static fromState(state: KneserNeyState): KneserNeyTrigram {
    checkVocabSize(state.vocabSize);
    if (state.unigramDistribution.length !== state.vocabSize) throw new RangeError('The unigram distribution does not cover the vocabulary');
    checkDiscounts(state.unigramDiscounts);
    checkLevel(state.bigram);
    checkLevel(state.trigram);
    return new KneserNeyTrigram(state);
  }

  /**
   * Everything this model consists of, for {@link fromState}. The arrays are the model's own, not
   * copies: transferring them to another thread leaves this model unusable.
   */
  toState(): KneserNeyState {
    const { vocabSize, bigram, trigram, unigramDistribution } = this;
    return { vocabSize, bigram, trigram, unigramDistribution, unigramDiscounts: this.discounts[0] };
  }

  /**
   * Probability of `next` after `context`. Only the last two ids of the context matter; a
   * shorter context is padded with {@link BOS} (so `[]` is the start of a sentence).
   */
  probability(context: readonly number[], next: number): number {
    this.checkId(next);
    const [u, v] = this.lastTwo(context);
    let probability = this.unigramDistribution[next]!;
    probability = this.interpolateOne(this.bigram, v, next, probability);
    return this.interpolateOne(this.trigram, u * this.vocabSize + v, next, probability);
  }

  /** The distribution of the next id after `context` over the whole vocabulary (sums to 1). */
  distribution(context: readonly number[]): Float64Array {
    const [u, v] = this.lastTwo(context);
    const distribution = Float64Array.from(this.unigramDistribution);
    this.interpolateAll(this.bigram, v, distribution);
    this.interpolateAll(this.trigram, u * this.vocabSize + v, distribution);
    return distribution;
  }

  /** The `k` most probable next ids after `context`, most probable first (ties: smaller id first). */
  topK(context: readonly number[], k: number): Candidate[] {
    return topCandidates(this.distribution(context), k);
  }

  /** {@inheritDoc NextTokenPredictor.sentenceDistributions} */
  sentenceDistributions(ids: readonly number[]): Float64Array[] {
    const distributions: Float64Array[] = [];
    for (let i = 0; i <= ids.length; i++) distributions.push(this.distribution(ids.slice(Math.max(0, i - 2), i)));
    return distributions;
  }

  /** `lower` interpolated into one level at one context, for a single id. */
  private interpolateOne(level: KneserNeyLevel, contextKey: number, next: number, lower: number): number {
    const context = KneserNeyTrigram.findContext(level, contextKey);
    if (context === undefined) return lower;
    const end = level.start[context + 1]!;
    const entry = lowerBound(level.words, next, level.start[context]!, end);
    const seen = entry < end && level.words[entry] === next;
    return level.backoff[context]! * lower + (seen ? level.discounted[entry]! : 0);
  }

  /** A lower-level distribution interpolated, in place, into one level at one context. */
  private interpolateAll(level: KneserNeyLevel, contextKey: number, distribution: Float64Array): void {
    const context = KneserNeyTrigram.findContext(level, contextKey);
    if (context === undefined) return;
    const weight = level.backoff[context]!;
    for (let id = 0; id < distribution.length; id++) distribution[id]! *= weight;
    for (let entry = level.start[context]!; entry < level.start[context + 1]!; entry++) {
      distribution[level.words[entry]!]! += level.discounted[entry]!;
    }
  }

  /** The index of a context in a level, `undefined` when the context was never seen. */
  private static findContext(level: KneserNeyLevel, contextKey: number): number | undefined {
    const context = lowerBound(level.contextKeys, contextKey);
    return level.contextKeys[context] === contextKey ? context : undefined;
  }

  private lastTwo(context: readonly number[]): [number, number] {
    const u = context.length >= 2 ? context[context.length - 2]! : BOS;
    const v = context.length >= 1 ? context[context.length - 1]! : BOS;
    this.checkId(u);
    this.checkId(v);
    return [u, v];
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`Id ${id} is outside the vocabulary of ${this.vocabSize} ids`);
    }
  }
}
