/**
 * Which model answers a guild's predictions: a mixture `λ·P_LSTM + (1 − λ)·P_3gram` of the LSTM
 * and the Kneser-Ney 3-gram, with the weight λ fitted on the held-out sentences. λ may be 1 (the
 * LSTM alone) or 0 (the 3-gram alone): on a few hundred sentences a count-based model still knows
 * things a network trained from scratch does not, on a large corpus the network knows more, and
 * in between the two are wrong in different places, so their mixture predicts better than either.
 * Fitted on held-out text, the mixture can only validate as well as the better part, or better.
 *
 * @module
 */
import type { Distribution, NextTokenPredictor } from './evaluate.ts';
import { KneserNeyTrigram } from './kneser-ney.ts';
import type { NextWordModel } from './predict.ts';
import { EOS } from './special-tokens.ts';

/** The kinds of model that can answer predictions. */
export type ServedKind = 'lstm' | 'kneser-ney' | 'mix';

/** The outcome of {@link chooseServedModel}, kept in a model's metrics. */
export interface ServedModelChoice {
  served: ServedKind;
  /** λ, the LSTM's weight in the mixture: 1 is the LSTM alone, 0 the 3-gram alone. */
  lstmWeight: number;
  /** Held-out perplexity of the LSTM on the validation sentences. */
  lstmPerplexity: number;
  /** Held-out perplexity of a Kneser-Ney 3-gram built from the training sentences, same vocabulary. */
  kneserNeyPerplexity: number;
  /** Held-out perplexity of the mixture with {@link lstmWeight}. */
  mixPerplexity: number;
  /** Targets all were scored on: every word plus one end of sentence per sentence. */
  targets: number;
}

/**
 * Below this distance from 0 or 1, λ is taken as exactly 0 or 1: a mixture that close to one part
 * predicts like it, and computing the other part for every request would buy nothing.
 */
export const PURE_MODEL_TOLERANCE = 0.005;

/** Bisection steps of {@link fitMixtureWeight}: 2^-40 is far below any difference that matters. */
const BISECTION_STEPS = 40;

/**
 * The λ in [0, 1] that maximises the likelihood `Σ log(λ·a_i + (1 − λ)·b_i)` of held-out targets,
 * given each model's probability of each target. The log-likelihood is concave in λ, so its
 * derivative `Σ (a_i − b_i) / (λ·a_i + (1 − λ)·b_i)` decreases: λ is 0 or 1 when the derivative
 * keeps its sign over the whole interval, else its root, found by bisection.
 */
export function fitMixtureWeight(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`${a.length} probabilities against ${b.length}`);
  const slope = (lambda: number): number => {
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      const mixed = lambda * a[i]! + (1 - lambda) * b[i]!;
      // A target both models give probability 0 says nothing about λ.
      if (mixed > 0) sum += (a[i]! - b[i]!) / mixed;
      else if (a[i]! !== b[i]!) return a[i]! > b[i]! ? Infinity : -Infinity;
    }
    return sum;
  };
  if (a.length === 0 || slope(0) <= 0) return 0;
  if (slope(1) >= 0) return 1;
  let low = 0;
  let high = 1;
  for (let step = 0; step < BISECTION_STEPS; step++) {
    const middle = (low + high) / 2;
    if (slope(middle) > 0) low = middle;
    else high = middle;
  }
  const lambda = (low + high) / 2;
  return lambda < PURE_MODEL_TOLERANCE ? 0 : lambda > 1 - PURE_MODEL_TOLERANCE ? 1 : lambda;
}

/** The kind a fitted weight amounts to. */
export function servedKindFor(lstmWeight: number): ServedKind {
  return lstmWeight === 1 ? 'lstm' : lstmWeight === 0 ? 'kneser-ney' : 'mix';
}

/** The probability a predictor gives each target of each sentence, in order (ends of sentence included). */
export function targetProbabilities(predictor: NextTokenPredictor, sentences: readonly (readonly number[])[]): number[] {
  const probabilities: number[] = [];
  for (const sentence of sentences) {
    predictor.sentenceDistributions(sentence).forEach((distribution, position) => {
      probabilities.push(distribution[position < sentence.length ? sentence[position]! : EOS]!);
    });
  }
  return probabilities;
}

/**
 * Fits the mixture of `lstm` (the trained network) and a Kneser-Ney 3-gram counted from `train`
 * on the `validation` sentences (ids of one vocabulary, encoded as new text: see
 * `asUnseenText`), and names what it amounts to.
 */
export function chooseServedModel(
  lstm: NextTokenPredictor,
  train: readonly (readonly number[])[],
  validation: readonly (readonly number[])[],
  vocabSize: number,
): ServedModelChoice {
  const kneserNey = KneserNeyTrigram.trainWithUnknownWords(train, vocabSize);
  const lstmProbabilities = targetProbabilities(lstm, validation);
  const kneserNeyProbabilities = targetProbabilities(kneserNey, validation);
  const lstmWeight = fitMixtureWeight(lstmProbabilities, kneserNeyProbabilities);
  const perplexity = (lambda: number): number => {
    let logSum = 0;
    for (let i = 0; i < lstmProbabilities.length; i++) {
      logSum += Math.log(lambda * lstmProbabilities[i]! + (1 - lambda) * kneserNeyProbabilities[i]!);
    }
    return Math.exp(-logSum / lstmProbabilities.length);
  };
  return {
    served: servedKindFor(lstmWeight),
    lstmWeight,
    lstmPerplexity: perplexity(1),
    kneserNeyPerplexity: perplexity(0),
    mixPerplexity: perplexity(lstmWeight),
    targets: lstmProbabilities.length,
  };
}

/** `λ·a + (1 − λ)·b`, element by element, into a new array. */
function mixDistributions(a: Distribution, b: Distribution, lstmWeight: number): Float64Array {
  const mixed = new Float64Array(a.length);
  for (let id = 0; id < a.length; id++) mixed[id] = lstmWeight * a[id]! + (1 - lstmWeight) * b[id]!;
  return mixed;
}

/** The mixture of two predictors over one vocabulary, for held-out evaluation. */
export function mixturePredictor(lstm: NextTokenPredictor, kneserNey: NextTokenPredictor, lstmWeight: number): NextTokenPredictor {
  return {
    sentenceDistributions(ids) {
      const fromKneserNey = kneserNey.sentenceDistributions(ids);
      return lstm.sentenceDistributions(ids).map((distribution, position) => mixDistributions(distribution, fromKneserNey[position]!, lstmWeight));
    },
  };
}

/**
 * The mixture as a {@link NextWordModel}: it reads as far back as the LSTM does (the 3-gram uses
 * the last two words of the same context).
 */
export function mixtureNextWordModel(lstm: NextWordModel, kneserNey: NextWordModel, lstmWeight: number): NextWordModel {
  return {
    contextLength: lstm.contextLength,
    nextDistribution: (contextIds) => mixDistributions(lstm.nextDistribution(contextIds), kneserNey.nextDistribution(contextIds), lstmWeight),
  };
}

/**
 * A Kneser-Ney 3-gram as a {@link NextWordModel}. Its context length is 2: the trigram reads the
 * last two words (a shorter input is preceded by the start of sentence), so a longer input is
 * reported as truncated to the words that were really used.
 */
export function kneserNeyNextWordModel(model: KneserNeyTrigram): NextWordModel {
  return { contextLength: 2, nextDistribution: (contextIds) => model.distribution(contextIds) };
}
