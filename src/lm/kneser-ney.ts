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
 *   {@link FALLBACK_DISCOUNT}.
 *
 * Compared with IRSTLM's improved Kneser-Ney (`tlm -lm=ikn`): no n-gram is pruned (IRSTLM drops
 * trigram singletons unless `-ps=no`), and the unigram discount mass goes to the uniform floor
 * rather than to the unknown word (which IRSTLM then divides among `-dub` unseen words). With
 * those two conventions aligned, held-out perplexities of both agree within 1%.
 *
 * @module
 */
import { BOS, EOS, FIRST_WORD_ID, PAD, UNK } from './special-tokens.ts';
import { topCandidates } from './evaluate.ts';
import { singletonIds } from './unknown-words.ts';
import type { Candidate, NextTokenPredictor } from './evaluate.ts';

/** How discounts are estimated from counts of counts; see the module documentation. */
export type DiscountVariant = 'modified' | 'standard';

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

/** Discounts of one level, subtracted from counts of 1, 2, and 3 or more. */
export type Discounts = readonly [number, number, number];

/** The discount used at a level whose counts of counts allow no estimate (no singleton or no doubleton). */
export const FALLBACK_DISCOUNT = 0.5;

/** Trigrams are packed into one float64 key `(u·V + v)·V + w`, exact while `V³` is a safe integer. */
const MAX_VOCAB_SIZE = Math.floor(Math.cbrt(Number.MAX_SAFE_INTEGER));

/** Continuations of every seen context of one level, with their discounted probabilities. */
export interface KneserNeyLevel {
  discounts: Discounts;
  /** Seen contexts, sorted; context `c` is `contextKeys[c]`. */
  contextKeys: Float64Array<ArrayBuffer>;
  /** Continuations of context `c` are entries `start[c] .. start[c + 1] - 1`, sorted by word. */
  start: Int32Array<ArrayBuffer>;
  words: Int32Array<ArrayBuffer>;
  /** `(count - D(count)) / total` of each entry. */
  discounted: Float64Array<ArrayBuffer>;
  /** Interpolation weight `γ` of the lower level, per context. */
  backoff: Float64Array<ArrayBuffer>;
}

/**
 * Everything a trained {@link KneserNeyTrigram} consists of, as plain data and typed arrays: what
 * {@link KneserNeyTrigram.toState} gives and {@link KneserNeyTrigram.fromState} takes, so a model
 * trained in one thread can serve in another without being computed again.
 */
export interface KneserNeyState {
  /** Ids run from 0 to `vocabSize - 1`. */
  vocabSize: number;
  bigram: KneserNeyLevel;
  trigram: KneserNeyLevel;
  /** Unigram level interpolated with the floor: the distribution after an unseen bigram context. */
  unigramDistribution: Float64Array<ArrayBuffer>;
  /** The discounts of the unigram level (those of the others are in their levels). */
  unigramDiscounts: Discounts;
}

/** The buffers of a state's arrays: transfer them to post the state without copying it. */
export function stateBuffers(state: KneserNeyState): ArrayBuffer[] {
  const levelBuffers = (level: KneserNeyLevel): ArrayBuffer[] =>
    [level.contextKeys, level.start, level.words, level.discounted, level.backoff].map((array) => array.buffer);
  return [...levelBuffers(state.bigram), ...levelBuffers(state.trigram), state.unigramDistribution.buffer];
}

/** Counts of one level, one entry per (context, word), sorted by context key then word. */
interface LevelCounts {
  contextKeys: Float64Array;
  words: Int32Array<ArrayBuffer>;
  counts: Float64Array;
}

/** The first index in `sorted[from..to)` whose value is not below `value`. */
function lowerBound(sorted: ArrayLike<number>, value: number, from = 0, to = sorted.length): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Distinct values of a sorted array and how often each occurs. */
function runLengths(sorted: Float64Array): { keys: Float64Array<ArrayBuffer>; counts: Float64Array<ArrayBuffer> } {
  let distinct = 0;
  for (let index = 0; index < sorted.length; index++) if (index === 0 || sorted[index] !== sorted[index - 1]) distinct += 1;
  const keys = new Float64Array(distinct);
  const counts = new Float64Array(distinct);
  let run = -1;
  for (let index = 0; index < sorted.length; index++) {
    if (index === 0 || sorted[index] !== sorted[index - 1]) keys[++run] = sorted[index]!;
    counts[run]! += 1;
  }
  return { keys, counts };
}

/** The ids of a packed trigram key `(u·V + v)·V + w`, and its context key `u·V + v`. */
function unpack(key: number, size: number): { u: number; v: number; w: number; context: number } {
  const w = key % size;
  const context = (key - w) / size;
  const v = context % size;
  return { u: (context - v) / size, v, w, context };
}

/**
 * Estimates discounts from counts of counts (see the module documentation).
 */
export function estimateDiscounts(counts: ArrayLike<number>, variant: DiscountVariant): Discounts {
  const countsOfCounts = [0, 0, 0, 0, 0];
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (count >= 1 && count <= 4) countsOfCounts[count]! += 1;
  }
  const [, n1, n2, n3, n4] = countsOfCounts as [number, number, number, number, number];
  if (n1 === 0 || n2 === 0) return [FALLBACK_DISCOUNT, FALLBACK_DISCOUNT, FALLBACK_DISCOUNT];
  const y = n1 / (n1 + 2 * n2);
  if (variant === 'modified' && n3 > 0 && n4 > 0) {
    const modified: Discounts = [1 - (2 * y * n2) / n1, 2 - (3 * y * n3) / n2, 3 - (4 * y * n4) / n3];
    // A discount must leave some mass to the lower level and not exceed the counts it applies to.
    if (modified.every((discount, index) => discount > 0 && discount <= index + 1)) return modified;
  }
  return [y, y, y];
}

/** Builds one level from its counts: discounted probabilities and interpolation weights. */
function buildLevel({ contextKeys, words, counts }: LevelCounts, variant: DiscountVariant): KneserNeyLevel {
  const discounts = estimateDiscounts(counts, variant);
  const discountOf = (count: number): number => discounts[Math.min(count, 3) - 1]!;
  const { keys: distinctContexts, counts: continuations } = runLengths(contextKeys);
  const contextCount = distinctContexts.length;
  const start = new Int32Array(contextCount + 1);
  for (let context = 0; context < contextCount; context++) start[context + 1] = start[context]! + continuations[context]!;
  const discounted = new Float64Array(counts.length);
  const backoff = new Float64Array(contextCount);
  for (let context = 0; context < contextCount; context++) {
    const from = start[context]!;
    const to = start[context + 1]!;
    let total = 0;
    let removed = 0;
    for (let entry = from; entry < to; entry++) {
      total += counts[entry]!;
      removed += discountOf(counts[entry]!);
    }
    for (let entry = from; entry < to; entry++) {
      discounted[entry] = (counts[entry]! - discountOf(counts[entry]!)) / total;
    }
    backoff[context] = removed / total;
  }
  return { discounts, contextKeys: distinctContexts, start, words, discounted, backoff };
}

/** Whether an id may appear inside a training sentence: a word or `UNK`. */
function isWordId(id: number, vocabSize: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < vocabSize && id !== PAD && id !== BOS && id !== EOS;
}

function checkVocabSize(vocabSize: number): void {
  if (!Number.isInteger(vocabSize) || vocabSize < FIRST_WORD_ID || vocabSize > MAX_VOCAB_SIZE) {
    throw new RangeError(`The vocabulary size must be an integer from ${FIRST_WORD_ID} to ${MAX_VOCAB_SIZE}`);
  }
}

function checkDiscounts(discounts: Discounts): void {
  if (discounts.length !== 3 || !discounts.every((discount, index) => discount > 0 && discount <= index + 1)) {
    throw new RangeError(`Discounts ${String(discounts)} are not three discounts`);
  }
}

/**
 * Throws unless a level's arrays fit together the way {@link buildLevel} makes them. Entries are
 * not checked one by one: that would cost tens of milliseconds on a large model, and a state only
 * comes from {@link KneserNeyTrigram.toState} of this code.
 */
function checkLevel(level: KneserNeyLevel): void {
  checkDiscounts(level.discounts);
  const { contextKeys, start, words, discounted, backoff } = level;
  const contexts = contextKeys.length;
  const fits =
    start.length === contexts + 1 &&
    backoff.length === contexts &&
    discounted.length === words.length &&
    start[0] === 0 &&
    start[contexts] === words.length;
  if (!fits) throw new RangeError('The arrays of a Kneser-Ney level do not fit together');
}

/**
 * The distinct trigrams of sentences of ids, each padded as `BOS BOS w1 .. wn EOS`, as packed
 * keys, increasing, and their counts. Throws as {@link KneserNeyTrigram.train} documents.
 */
function countTrigrams(
  sentences: readonly (readonly number[])[],
  vocabSize: number,
  unknownStandIns: Iterable<number>,
): { keys: Float64Array; counts: Float64Array } {
  const standsIn = new Uint8Array(vocabSize);
  for (const id of unknownStandIns) {
    if (!isWordId(id, vocabSize) || id === UNK) throw new RangeError(`Id ${id} cannot stand in for the unknown word`);
    standsIn[id] = 1;
  }
  let positions = 0;
  for (const sentence of sentences) {
    positions += sentence.length + 1;
    for (const id of sentence) positions += standsIn[id] ?? 0;
  }
  const keys = new Float64Array(positions);
  let position = 0;
  for (const sentence of sentences) {
    let u = BOS;
    let v = BOS;
    for (let i = 0; i <= sentence.length; i++) {
      const w = i < sentence.length ? sentence[i]! : EOS;
      if (i < sentence.length && !isWordId(w, vocabSize)) {
        throw new RangeError(`Id ${w} cannot be a word of a training sentence (vocabulary size ${vocabSize})`);
      }
      keys[position++] = (u * vocabSize + v) * vocabSize + w;
      if (standsIn[w] === 1) keys[position++] = (u * vocabSize + v) * vocabSize + UNK;
      u = v;
      v = w;
    }
  }
  return runLengths(keys.sort());
}

/** Estimates every level from the distinct trigrams of the training sentences and their counts. */
function buildState(vocabSize: number, variant: DiscountVariant, trigramKeys: Float64Array, trigramCounts: Float64Array): KneserNeyState {
  const size = vocabSize;
  // Trigrams after `BOS BOS` only repeat the bigrams `BOS w`, whose raw counts they are (nothing
  // precedes the start of a sentence): they form the bigram context BOS, not a trigram level
  // that would discount the same counts twice.
  const startFrom = lowerBound(trigramKeys, (BOS * size + BOS) * size);
  const startTo = lowerBound(trigramKeys, (BOS * size + BOS + 1) * size);
  const innerRanges = [
    [0, startFrom],
    [startTo, trigramKeys.length],
  ] as const;
  const innerCount = trigramKeys.length - (startTo - startFrom);
  const trigramLevel: LevelCounts = { contextKeys: new Float64Array(innerCount), words: new Int32Array(innerCount), counts: new Float64Array(innerCount) };
  // Bigram continuation counts N1+(· v w): how many distinct trigram types end in `v w`.
  const suffixes = new Float64Array(innerCount);
  let inner = 0;
  for (const [from, to] of innerRanges) {
    for (let entry = from; entry < to; entry++) {
      const { v, w, context } = unpack(trigramKeys[entry]!, size);
      trigramLevel.contextKeys[inner] = context;
      trigramLevel.words[inner] = w;
      trigramLevel.counts[inner] = trigramCounts[entry]!;
      suffixes[inner] = v * size + w;
      inner += 1;
    }
  }
  const trigram = buildLevel(trigramLevel, variant);

  const continued = runLengths(suffixes.sort());
  const bigramSize = continued.keys.length + startTo - startFrom;
  const bigramLevel: LevelCounts = { contextKeys: new Float64Array(bigramSize), words: new Int32Array(bigramSize), counts: new Float64Array(bigramSize) };
  let appended = 0;
  const append = (key: number, count: number): void => {
    const w = key % size;
    bigramLevel.contextKeys[appended] = (key - w) / size;
    bigramLevel.words[appended] = w;
    bigramLevel.counts[appended] = count;
    appended += 1;
  };
  // The raw counts after BOS go where context BOS sorts among the continuation counts.
  const insertAt = lowerBound(continued.keys, BOS * size);
  for (let entry = 0; entry < insertAt; entry++) append(continued.keys[entry]!, continued.counts[entry]!);
  for (let entry = startFrom; entry < startTo; entry++) append(BOS * size + (trigramKeys[entry]! % size), trigramCounts[entry]!);
  for (let entry = insertAt; entry < continued.keys.length; entry++) append(continued.keys[entry]!, continued.counts[entry]!);
  const bigram = buildLevel(bigramLevel, variant);

  // Unigram continuation counts N1+(· w): how many distinct bigram types end in `w`.
  const unigramContinuations = new Float64Array(size);
  for (const w of bigramLevel.words) unigramContinuations[w]! += 1;
  const seenWords = Int32Array.from(unigramContinuations.keys()).filter((id) => unigramContinuations[id]! > 0);
  const unigram = buildLevel(
    {
      contextKeys: new Float64Array(seenWords.length),
      words: seenWords,
      counts: Float64Array.from(seenWords, (id) => unigramContinuations[id]!),
    },
    variant,
  );
  const floorWeight = seenWords.length === 0 ? 1 : unigram.backoff[0]!;
  const unigramDistribution = new Float64Array(size).fill(floorWeight / (size - 2));
  unigramDistribution[PAD] = 0;
  unigramDistribution[BOS] = 0;
  seenWords.forEach((id, entry) => {
    unigramDistribution[id]! += unigram.discounted[entry]!;
  });
  return { vocabSize, bigram, trigram, unigramDistribution, unigramDiscounts: unigram.discounts };
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
