/**
 * The linear mixture's weight by how often the predicted word is:
 * `P(w) ∝ λ_c(w)·P_LSTM(w) + (1 − λ_c(w))·P_3gram(w)`, renormalised over the vocabulary, where
 * c(w) is the word's frequency class in the training sentences (seen once, two or three times,
 * four to seven, and so on, neighbouring classes merged until each holds enough validation
 * targets; the end of sentence counts once per sentence, the unknown word never). The two parts
 * are not wrong about the same words: a network learns the shape of a sentence, where it ends and
 * where its punctuation falls, which a 3-gram that sees two words back cannot count, while on the
 * middle of the vocabulary the 3-gram's counts are often sharper than what the network made of
 * them. One λ weighs both alike; a λ per class trusts each part where it is right.
 *
 * @module
 */
import type { Distribution } from './evaluate.ts';
import { gainsMoreThanChance, goldenSectionMaximum } from './likelihood-fitting.ts';
import { EOS } from './special-tokens.ts';

/** λ by frequency class, as a model's metrics keep it. */
export interface FrequencyWeights {
  /**
   * The lowest training count of each class after the first, ascending: class 0 holds the words
   * seen fewer than `countBounds[0]` times and the unknown word, the last those seen
   * `countBounds.at(-1)` times or more.
   */
  countBounds: number[];
  /** λ of each class, the LSTM's weight: `countBounds.length + 1` of them. */
  lstmWeights: number[];
  /**
   * How many sentences the counts were taken from: a model trained on more sentences (the
   * held-out ones too) scales its counts to as many, so that a class means as often as it did.
   */
  sentences: number;
}

/** {@link FrequencyWeights} ready to mix: the class of every id of the vocabulary. */
export interface FrequencyMixture {
  lstmWeights: readonly number[];
  classOfId: Uint8Array;
}

/** A class holds at least this many validation targets: fewer would fit its λ to noise. */
export const MIN_CLASS_TARGETS = 100;

/** Coordinate-ascent sweeps over the classes' weights at most; each moves every λ to its best given the others. */
const MAX_SWEEPS = 20;
/** Sweeps end once no λ moved by more than this. */
const CONVERGED = 1e-4;

/** How often each id occurs in `sentences`; the end of sentence once per sentence. */
export function trainingCounts(sentences: readonly (readonly number[])[], vocabSize: number): Float64Array {
  const counts = new Float64Array(vocabSize);
  for (const sentence of sentences) {
    for (const id of sentence) counts[id]! += 1;
    counts[EOS]! += 1;
  }
  return counts;
}

/**
 * How often training saw each id, from a vocabulary's counts of its words (0 for special tokens)
 * and the number of sentences it counted: the end of sentence once per sentence.
 */
export function countsWithEnds(wordCounts: readonly number[], sentences: number): Float64Array {
  const counts = Float64Array.from(wordCounts);
  counts[EOS] = sentences;
  return counts;
}

/** The unmerged class of a count: 0 for counts below 2, else ⌊log2 count⌋. */
const doublingClass = (count: number): number => (count < 2 ? 0 : Math.floor(Math.log2(count)));

/**
 * The class bounds for validation targets seen `targetCounts` times in training: classes doubling
 * in count, merged upwards until each holds {@link MIN_CLASS_TARGETS} targets (the rest joining
 * the class below). Empty when they make one class.
 */
export function frequencyClassBounds(targetCounts: readonly number[]): number[] {
  const perClass: number[] = [];
  for (const count of targetCounts) {
    const doubling = doublingClass(count);
    perClass[doubling] = (perClass[doubling] ?? 0) + 1;
  }
  const bounds: number[] = [];
  let held = 0;
  for (let doubling = 0; doubling < perClass.length; doubling++) {
    if (held >= MIN_CLASS_TARGETS && (perClass[doubling] ?? 0) > 0) {
      bounds.push(2 ** doubling);
      held = 0;
    }
    held += perClass[doubling] ?? 0;
  }
  if (held < MIN_CLASS_TARGETS) bounds.pop();
  return bounds;
}

/** The class of every id, given how often training saw it (`counts`, multiplied by `scale`). */
export function classesOf(counts: ArrayLike<number>, countBounds: readonly number[], scale = 1): Uint8Array {
  return Uint8Array.from({ length: counts.length }, (_, id) => {
    let c = 0;
    while (c < countBounds.length && scale * counts[id]! >= countBounds[c]!) c++;
    return c;
  });
}

/** The mixture that `weights` describe, for a vocabulary whose ids `sentences` training sentences held `counts` times. */
export function frequencyMixture(weights: FrequencyWeights, counts: ArrayLike<number>, sentences: number): FrequencyMixture {
  return { lstmWeights: weights.lstmWeights, classOfId: classesOf(counts, weights.countBounds, weights.sentences / sentences) };
}

/** The mixture of one position's distributions, into a new array that sums to 1. */
export function mixByFrequency(lstm: Distribution, kneserNey: Distribution, { lstmWeights, classOfId }: FrequencyMixture): Float64Array {
  const mixed = new Float64Array(lstm.length);
  let total = 0;
  for (let id = 0; id < lstm.length; id++) {
    const lambda = lstmWeights[classOfId[id]!]!;
    mixed[id] = lambda * lstm[id]! + (1 - lambda) * kneserNey[id]!;
    total += mixed[id]!;
  }
  for (let id = 0; id < mixed.length; id++) mixed[id]! /= total;
  return mixed;
}

/**
 * Validation positions as the fit reads them: each part's probability of the target, the target's
 * class, and the probability each part gives each class (`classes` per position, row by row).
 */
export class FrequencyPositions {
  readonly lstm: number[] = [];
  readonly kneserNey: number[] = [];
  readonly targetClass: number[] = [];
  /** Per position and class, the LSTM's probability of the class less the 3-gram's. */
  readonly #massDifferences: number[] = [];

  constructor(readonly classes: number) {}

  get length(): number {
    return this.lstm.length;
  }

  /** Adds one position of the parts' distributions. */
  add(lstm: Distribution, kneserNey: Distribution, target: number, classOfId: Uint8Array): void {
    const differences = new Float64Array(this.classes);
    for (let id = 0; id < lstm.length; id++) differences[classOfId[id]!]! += lstm[id]! - kneserNey[id]!;
    this.lstm.push(lstm[target]!);
    this.kneserNey.push(kneserNey[target]!);
    this.targetClass.push(classOfId[target]!);
    this.#massDifferences.push(...differences);
  }

  /** How much more probability the LSTM than the 3-gram gives class `c` at position `i`. */
  massDifference(i: number, c: number): number {
    return this.#massDifferences[i * this.classes + c]!;
  }

  /** The log-likelihood of each target under the mixture with `lstmWeights`. */
  logLikelihoods(lstmWeights: readonly number[]): Float64Array {
    return Float64Array.from(this.lstm, (lstm, i) => {
      const lambda = lstmWeights[this.targetClass[i]!]!;
      let normaliser = 1;
      for (let c = 0; c < this.classes; c++) normaliser += lstmWeights[c]! * this.massDifference(i, c);
      return Math.log(lambda * lstm + (1 - lambda) * this.kneserNey[i]!) - Math.log(normaliser);
    });
  }
}

/**
 * The weights, one per class, that maximise the likelihood of the positions' targets, and that
 * likelihood: coordinate ascent from `initial` for every class, each λ moved to its best in
 * [0, 1] by golden-section search while the others stay.
 */
export function fitFrequencyWeights(positions: FrequencyPositions, initial: number): { lstmWeights: number[]; logLikelihood: number } {
  const { classes, length } = positions;
  const lstmWeights = Array.from({ length: classes }, () => initial);
  // Each position's normaliser, Σ_c λ_c·P_LSTM(c) + (1 − λ_c)·P_3gram(c) = 1 + Σ_c λ_c·(P_LSTM(c) − P_3gram(c)).
  const normalisers = new Float64Array(length).fill(1);
  for (let i = 0; i < length; i++) for (let c = 0; c < classes; c++) normalisers[i]! += initial * positions.massDifference(i, c);
  const inClass = Array.from({ length: classes }, (_, c) => positions.targetClass.flatMap((targetClass, i) => (targetClass === c ? [i] : [])));
  const others = new Float64Array(length);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let moved = 0;
    for (let c = 0; c < classes; c++) {
      for (let i = 0; i < length; i++) others[i] = normalisers[i]! - lstmWeights[c]! * positions.massDifference(i, c);
      const atWeight = (lambda: number) => {
        let logLikelihood = 0;
        for (const i of inClass[c]!) logLikelihood += Math.log(lambda * positions.lstm[i]! + (1 - lambda) * positions.kneserNey[i]!);
        for (let i = 0; i < length; i++) logLikelihood -= Math.log(others[i]! + lambda * positions.massDifference(i, c));
        return { lambda, logLikelihood };
      };
      const { lambda } = goldenSectionMaximum([0, 1], atWeight);
      moved = Math.max(moved, Math.abs(lambda - lstmWeights[c]!));
      lstmWeights[c] = lambda;
      for (let i = 0; i < length; i++) normalisers[i] = others[i]! + lambda * positions.massDifference(i, c);
    }
    if (moved < CONVERGED) break;
  }
  const logLikelihood = positions.logLikelihoods(lstmWeights).reduce((sum, value) => sum + value, 0);
  return { lstmWeights, logLikelihood };
}

/**
 * λ by word frequency fitted from the one λ `lstmWeight` on every position, and each target's
 * log-likelihood under it; null with one class, or when the classes gain no more than chance over
 * the one λ (likelihood-ratio test, a degree of freedom per class more).
 */
export function fitSignificantFrequencyWeights(
  positions: FrequencyPositions,
  lstmWeight: number,
  { countBounds, sentences }: Omit<FrequencyWeights, 'lstmWeights'>,
): (FrequencyWeights & { logLikelihoods: Float64Array }) | null {
  if (countBounds.length === 0) return null;
  const oneWeight = positions.logLikelihoods(Array.from({ length: positions.classes }, () => lstmWeight)).reduce((sum, value) => sum + value, 0);
  const { lstmWeights, logLikelihood } = fitFrequencyWeights(positions, lstmWeight);
  if (!gainsMoreThanChance(logLikelihood, oneWeight, positions.classes - 1)) return null;
  return { countBounds, lstmWeights, sentences, logLikelihoods: positions.logLikelihoods(lstmWeights) };
}

/** λ as run notes and the command line name it: `λ 0.62`, or `λ 0.31–0.99 by word frequency`. */
export function mixtureWeightName(lstmWeight: number, frequencyWeights: FrequencyWeights | null): string {
  if (frequencyWeights === null) return `λ ${lstmWeight.toFixed(2)}`;
  const weights = frequencyWeights.lstmWeights;
  return `λ ${Math.min(...weights).toFixed(2)}–${Math.max(...weights).toFixed(2)} by word frequency`;
}
