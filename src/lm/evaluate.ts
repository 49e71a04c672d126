/**
 * Held-out evaluation of next-word models: perplexity, top-1 / top-5 accuracy and the share of
 * unknown words, computed the same way for every model (the LSTM, the Kneser-Ney baseline, or any
 * other) through the {@link NextTokenPredictor} interface.
 *
 * @module
 */
import { EOS, UNK } from './special-tokens.ts';

/** A probability distribution over the vocabulary, indexed by id. */
export type Distribution = Float32Array | Float64Array;

/**
 * Anything that predicts the next token of a sentence.
 *
 * For a sentence `[w1..wn]` (ids, without start or end markers) it returns `n + 1`
 * distributions over the vocabulary: element `i` is the distribution of the token that follows
 * `[BOS, w1..wi]`, so element `i < n` should put its mass on `w(i+1)` and element `n` on
 * {@link EOS}. An LSTM computes them in one forward pass over `[BOS, w1..wn]`; an n-gram model
 * computes one per position.
 */
export interface NextTokenPredictor {
  sentenceDistributions(ids: readonly number[]): Distribution[];
}

/** A candidate next token and its probability. */
export interface Candidate {
  id: number;
  probability: number;
}

/** The result of {@link evaluate}. */
export interface EvaluationResult {
  /** Sentences evaluated. */
  sentences: number;
  /** Predicted targets: every word of every sentence plus one end of sentence per sentence. */
  tokens: number;
  /**
   * Share of word tokens that are {@link UNK}; ends of sentence are not words (IRSTLM's `OOVRate`
   * counts them in the denominator, so it prints a slightly smaller rate).
   */
  oovRate: number;
  /** `exp` of the mean negative log probability of all targets, unknown words included. */
  perplexity: number;
  /** Share of targets that are not {@link UNK} and are the most probable id. */
  top1: number;
  /** Share of targets that are not {@link UNK} and are among the five most probable ids. */
  top5: number;
}

/**
 * The 0-based rank of `id` in a distribution: how many ids are more probable, counting ids of
 * equal probability as more probable when their id is smaller. Ties are broken by id so that a
 * flat distribution does not count every target as a hit, and so that the rank agrees with the
 * order of {@link topCandidates}.
 */
export function rankOf(distribution: Distribution, id: number): number {
  const target = distribution[id];
  if (target === undefined) throw new RangeError(`Id ${id} is outside the distribution`);
  let rank = 0;
  for (let other = 0; other < distribution.length; other++) {
    const probability = distribution[other]!;
    if (probability > target || (probability === target && other < id)) rank += 1;
  }
  return rank;
}

/**
 * The `k` most probable ids of a distribution, most probable first, ties broken by the smaller
 * id. Ids of probability 0 are never candidates.
 */
export function topCandidates(distribution: Distribution, k: number): Candidate[] {
  const best: Candidate[] = [];
  if (k <= 0) return best;
  for (let id = 0; id < distribution.length; id++) {
    const probability = distribution[id]!;
    if (probability <= 0) continue;
    if (best.length === k && probability <= best[k - 1]!.probability) continue;
    // Insertion into a short sorted list: k is small, the vocabulary is not. Ids arrive in
    // increasing order, so an equally probable earlier id stays ahead.
    let position = best.length;
    while (position > 0 && best[position - 1]!.probability < probability) position -= 1;
    best.splice(position, 0, { id, probability });
    if (best.length > k) best.pop();
  }
  return best;
}

/**
 * Evaluates a predictor on held-out sentences (ids as the vocabulary encoded them, unknown words
 * as {@link UNK}, no start or end markers).
 *
 * Every word and the end of every sentence is a target. Perplexity includes the targets that are
 * {@link UNK}, scored with the probability the model gives to the unknown token, as IRSTLM does
 * (its figure additionally divides that probability among the unseen words of an assumed
 * dictionary size, `-dub`): a model with a smaller vocabulary has more unknown targets, so compare
 * perplexities only on the same vocabulary. A top-k hit requires the target not to be UNK
 * (predicting "unknown word" is no useful prediction); the denominator is still every target.
 *
 * @throws RangeError when the predictor does not return one distribution per target.
 */
export function evaluate(sentences: readonly (readonly number[])[], predictor: NextTokenPredictor): EvaluationResult {
  let tokens = 0;
  let words = 0;
  let unknownWords = 0;
  let negativeLogProbability = 0;
  let top1 = 0;
  let top5 = 0;
  for (const sentence of sentences) {
    const distributions = predictor.sentenceDistributions(sentence);
    if (distributions.length !== sentence.length + 1) {
      throw new RangeError(
        `Expected ${sentence.length + 1} distributions for a sentence of ${sentence.length} words, got ${distributions.length}`,
      );
    }
    distributions.forEach((distribution, position) => {
      const target = position < sentence.length ? sentence[position]! : EOS;
      const probability = distribution[target];
      if (probability === undefined) throw new RangeError(`Target id ${target} is outside the distribution`);
      negativeLogProbability -= Math.log(probability);
      tokens += 1;
      if (position < sentence.length) {
        words += 1;
        if (target === UNK) unknownWords += 1;
      }
      if (target === UNK) return;
      const rank = rankOf(distribution, target);
      if (rank < 1) top1 += 1;
      if (rank < 5) top5 += 1;
    });
  }
  return {
    sentences: sentences.length,
    tokens,
    oovRate: words === 0 ? 0 : unknownWords / words,
    perplexity: tokens === 0 ? Number.NaN : Math.exp(negativeLogProbability / tokens),
    top1: tokens === 0 ? 0 : top1 / tokens,
    top5: tokens === 0 ? 0 : top5 / tokens,
  };
}
