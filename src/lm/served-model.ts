/**
 * Which model answers a guild's predictions: a mixture `λ·P_LSTM + (1 − λ)·P_3gram` of the LSTM
 * and the Kneser-Ney 3-gram, with the weight λ fitted on the held-out sentences. λ may be 1 (the
 * LSTM alone) or 0 (the 3-gram alone): on a few hundred sentences a count-based model still knows
 * things a network trained from scratch does not, on a large corpus the network knows more, and
 * in between the two are wrong in different places, so their mixture predicts better than either.
 * Fitted on held-out text, the mixture can only validate as well as the better part, or better.
 *
 * The parts may also combine geometrically, `P ∝ P_LSTM^a · P_3gram^b` renormalised over the
 * vocabulary (log-linear interpolation, a product of experts), with a and b fitted on the same
 * sentences: a word both parts find likely gains over a word only one does, and the exponents also
 * sharpen or flatten a network trained on few sentences, whose confidence is often off. Whichever
 * combination validates better serves. Before it is compared, the linear mixture may calibrate the
 * network (`network-calibration.ts`) and weigh the parts by how often the predicted word is
 * (`frequency-weights.ts`), each kept only when it gains more than chance.
 *
 * @module
 */
import type { Distribution, NextTokenPredictor } from './evaluate.ts';
import { KneserNeyTrigram } from './kneser-ney.ts';
import type { NextWordModel } from './predict.ts';
import { EOS } from './special-tokens.ts';
import { calibrate, fitCalibration, type NetworkCalibration } from './network-calibration.ts';
import {
  classesOf,
  fitSignificantFrequencyWeights,
  FrequencyPositions,
  frequencyClassBounds,
  mixByFrequency,
  trainingCounts,
  type FrequencyMixture,
  type FrequencyWeights,
} from './frequency-weights.ts';
import { gainsMoreThanChance } from './likelihood-fitting.ts';

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
  /**
   * Folds of a cross-validation the targets were held out in, each scored by a network trained on
   * the others; absent when they are the validation split, scored by the model itself.
   */
  folds?: number;
  /** The geometric combination fitted beside the linear one; null when none was fitted (older models). */
  geometric: GeometricMixture | null;
  /** How the parts combine when `served` is `mix`: the linear mixture with λ, or {@link geometric}. */
  combination: Combination;
  /**
   * How the network is calibrated before the linear mixture that serves (λ, {@link mixPerplexity}
   * are then the calibrated mixture's); null when it is not (older models, a part alone, the
   * geometric mixture, or a calibration that gained no more than chance).
   */
  calibration: NetworkCalibration | null;
  /**
   * λ by how often the predicted word is (`frequency-weights.ts`), when the linear mixture that
   * serves weighs its parts so ({@link mixPerplexity} is then its perplexity, {@link lstmWeight}
   * the one λ it improved on); null when one λ serves (older models, or classes that gained no more
   * than chance).
   */
  frequencyWeights: FrequencyWeights | null;
}

/** How a mixture combines its parts. */
export type Combination = 'linear' | 'geometric';

/** What answers, as replies name it: the kind, λ of a linear mixture, the exponents of a geometric one. */
export interface ServedMixture {
  kind: ServedKind;
  /** λ, the LSTM's weight in a linear mixture (1 for the LSTM alone, 0 for the 3-gram alone). */
  lstmWeight: number;
  /** The exponents when the mixture that answers is geometric, else null. */
  geometric: GeometricWeights | null;
  /** λ by word frequency when the linear mixture that answers weighs its parts so (none when absent or null). */
  frequencyWeights?: FrequencyWeights | null;
}

/**
 * How the parts combine: λ or the exponents, and for a linear mixture the network's calibration
 * and λ by word frequency (none when absent or null).
 */
export interface MixtureWeights extends Omit<ServedMixture, 'kind' | 'frequencyWeights'> {
  calibration?: NetworkCalibration | null;
  byFrequency?: FrequencyMixture | null;
}

/** The exponents that answer per `choice`: null when the mixture is linear or a part answers alone. */
export function servedGeometricWeights(choice: ServedModelChoice | null): GeometricWeights | null {
  if (choice?.served !== 'mix' || choice.combination !== 'geometric' || choice.geometric === null) return null;
  return { lstmExponent: choice.geometric.lstmExponent, kneserNeyExponent: choice.geometric.kneserNeyExponent };
}

/** The network's calibration that answers per `choice`: null unless a linear mixture answers with one. */
export function servedCalibration(choice: ServedModelChoice | null): NetworkCalibration | null {
  return choice?.served === 'mix' && choice.combination === 'linear' ? choice.calibration : null;
}

/** λ by word frequency that answers per `choice`: null unless a linear mixture answers with them. */
export function servedFrequencyWeights(choice: ServedModelChoice | null): FrequencyWeights | null {
  return choice?.served === 'mix' && choice.combination === 'linear' ? choice.frequencyWeights : null;
}

/** `P ∝ P_LSTM^lstmExponent · P_3gram^kneserNeyExponent`, renormalised over the vocabulary. */
export interface GeometricWeights {
  lstmExponent: number;
  kneserNeyExponent: number;
}

/**
 * A fitted geometric combination, its held-out perplexity and the linear mixture's on the same
 * targets: every validation target, or as many as {@link GEOMETRIC_FIT_VALUES} allows, taken evenly.
 */
export interface GeometricMixture extends GeometricWeights {
  perplexity: number;
  linearPerplexity: number;
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

/** Log-probabilities below this are taken as this: a part that gives a word 0 must not make the product NaN. */
const LOG_PROBABILITY_FLOOR = -70;

/**
 * At most this many log-probabilities (two per word of the vocabulary per position) are kept to fit
 * the exponents: the held-out positions are sampled evenly beyond it. Two weights need far fewer
 * positions than a validation split holds.
 */
const GEOMETRIC_FIT_VALUES = 16_000_000;

/** Newton steps of {@link fitGeometricWeights}; the log-likelihood is concave, so few are needed. */
const NEWTON_STEPS = 50;

/** One held-out position: each part's log-probabilities of every id, and the id that came. */
export interface LogProbabilities {
  lstm: Float32Array;
  kneserNey: Float32Array;
  target: number;
}

const floorLog = (probability: number): number => Math.max(LOG_PROBABILITY_FLOOR, Math.log(probability));

/** Both parts' log-probabilities of one position, for {@link fitGeometricWeights}. */
export function logProbabilities(lstm: Distribution, kneserNey: Distribution, target: number): LogProbabilities {
  const lstmLogs = new Float32Array(lstm.length);
  const kneserNeyLogs = new Float32Array(lstm.length);
  for (let id = 0; id < lstm.length; id++) {
    lstmLogs[id] = floorLog(lstm[id]!);
    kneserNeyLogs[id] = floorLog(kneserNey[id]!);
  }
  return { lstm: lstmLogs, kneserNey: kneserNeyLogs, target };
}

/**
 * The log-likelihood of the positions under the geometric combination with exponents `a`, `b`, its
 * gradient and its Hessian (the negated covariance of the two log-probabilities under the
 * combination).
 */
function geometricLikelihood(positions: readonly LogProbabilities[], a: number, b: number) {
  let value = 0;
  const gradient = [0, 0];
  const hessian = [0, 0, 0];
  for (const { lstm, kneserNey, target } of positions) {
    let max = -Infinity;
    for (let id = 0; id < lstm.length; id++) max = Math.max(max, a * lstm[id]! + b * kneserNey[id]!);
    let total = 0;
    let meanL = 0;
    let meanK = 0;
    let meanLL = 0;
    let meanLK = 0;
    let meanKK = 0;
    for (let id = 0; id < lstm.length; id++) {
      const l = lstm[id]!;
      const k = kneserNey[id]!;
      const weight = Math.exp(a * l + b * k - max);
      total += weight;
      meanL += weight * l;
      meanK += weight * k;
      meanLL += weight * l * l;
      meanLK += weight * l * k;
      meanKK += weight * k * k;
    }
    meanL /= total;
    meanK /= total;
    value += a * lstm[target]! + b * kneserNey[target]! - max - Math.log(total);
    gradient[0]! += lstm[target]! - meanL;
    gradient[1]! += kneserNey[target]! - meanK;
    hessian[0]! -= meanLL / total - meanL * meanL;
    hessian[1]! -= meanLK / total - meanL * meanK;
    hessian[2]! -= meanKK / total - meanK * meanK;
  }
  return { value, gradient, hessian };
}

/**
 * The step of the exponents from `at`: Newton's where the Hessian is negative definite, else one
 * along the gradient; with `alone` set, only that part's exponent moves.
 */
function newtonStep(at: ReturnType<typeof geometricLikelihood>, positions: number, alone: 'lstm' | 'kneserNey' | undefined): [number, number] {
  const [gA, gB] = at.gradient as [number, number];
  const [hAA, hAB, hBB] = at.hessian as [number, number, number];
  const oneExponent = (gradient: number, curvature: number): number => (curvature < 0 ? -gradient / curvature : gradient / positions);
  if (alone === 'kneserNey') return [0, oneExponent(gB, hBB)];
  if (alone === 'lstm') return [oneExponent(gA, hAA), 0];
  const determinant = hAA * hBB - hAB * hAB;
  if (determinant > 1e-12 && hAA < 0) return [-(hBB * gA - hAB * gB) / determinant, -(hAA * gB - hAB * gA) / determinant];
  return [gA / positions, gB / positions];
}

/** Exponents fitted by {@link fitGeometricWeights}, and the log-likelihood of the targets they reach. */
export interface FittedGeometricWeights extends GeometricWeights {
  logLikelihood: number;
}

/**
 * The exponents `a, b ≥ 0` that maximise the likelihood of held-out targets under
 * `P ∝ P_LSTM^a · P_3gram^b`: Newton's method on a concave function, each step halved until the
 * likelihood rises. With `alone` set, the other part's exponent stays 0: that part alone made
 * sharper or flatter, what a mixture must beat.
 */
export function fitGeometricWeights(positions: readonly LogProbabilities[], { alone }: { alone?: 'lstm' | 'kneserNey' } = {}): FittedGeometricWeights {
  let a = alone === 'lstm' ? 1 : 0;
  let b = alone === 'lstm' ? 0 : 1;
  let current = geometricLikelihood(positions, a, b);
  for (let step = 0; step < NEWTON_STEPS && positions.length > 0; step++) {
    let [dA, dB] = newtonStep(current, positions.length, alone);
    let moved = false;
    for (let halving = 0; halving < 30; halving++) {
      const nextA = Math.max(0, a + dA);
      const nextB = Math.max(0, b + dB);
      const next = geometricLikelihood(positions, nextA, nextB);
      if (next.value > current.value) {
        moved = Math.abs(nextA - a) + Math.abs(nextB - b) > 1e-6;
        a = nextA;
        b = nextB;
        current = next;
        break;
      }
      dA /= 2;
      dB /= 2;
    }
    if (!moved) break;
  }
  return { lstmExponent: a, kneserNeyExponent: b, logLikelihood: current.value };
}

/** `P_a^lstmExponent · P_b^kneserNeyExponent`, renormalised, into a new array. */
function combineGeometrically(a: Distribution, b: Distribution, weights: GeometricWeights): Float64Array {
  // Log-probabilities first, then shifted by their maximum before exp so that nothing underflows.
  const combined = new Float64Array(a.length);
  let max = -Infinity;
  for (let id = 0; id < a.length; id++) {
    combined[id] = weights.lstmExponent * floorLog(a[id]!) + weights.kneserNeyExponent * floorLog(b[id]!);
    max = Math.max(max, combined[id]!);
  }
  let total = 0;
  for (let id = 0; id < a.length; id++) {
    combined[id] = Math.exp(combined[id]! - max);
    total += combined[id]!;
  }
  for (let id = 0; id < a.length; id++) combined[id]! /= total;
  return combined;
}

/**
 * Held-out sentences and the network that never trained on them. The 3-gram of a fold counts its
 * `train` sentences; `heldOut` is encoded as new text (see `asUnseenText`).
 */
export interface HeldOutFold {
  lstm: NextTokenPredictor;
  train: readonly (readonly number[])[];
  heldOut: readonly (readonly number[])[];
}

/**
 * Fits the mixtures of each fold's network and a Kneser-Ney 3-gram counted from the fold's training
 * sentences on its held-out ones, linear and geometric, all folds' targets together, and names what
 * serves: the part or linear mixture with the lowest perplexity on them, or the geometric mixture
 * when it is lower still and owes more than chance to the LSTM. One fold is a validation split;
 * several are a cross-validation (`trainCrossValidated`), for corpora too small to spare a split.
 */
export function chooseServedModel(folds: readonly HeldOutFold[], vocabSize: number): ServedModelChoice {
  const targets = folds.reduce((sum, fold) => sum + fold.heldOut.reduce((inFold, sentence) => inFold + sentence.length + 1, 0), 0);
  const every = Math.max(1, Math.ceil((targets * 2 * vocabSize) / GEOMETRIC_FIT_VALUES));
  const kneserNeyModels = folds.map((fold) => KneserNeyTrigram.trainWithUnknownWords(fold.train, vocabSize));
  // Counts of every fold scaled to the folds' mean number of training sentences.
  const sentences = folds.reduce((sum, fold) => sum + fold.train.length, 0) / folds.length;
  const countsOfFolds = folds.map((fold) => trainingCounts(fold.train, vocabSize).map((count) => (count * sentences) / fold.train.length));
  const countBounds = frequencyClassBounds(
    folds.flatMap((fold, f) => fold.heldOut.flatMap((sentence) => [...sentence, EOS]).map((id) => countsOfFolds[f]![id]!)),
  );
  const classesOfFolds = countsOfFolds.map((counts) => classesOf(counts, countBounds));
  const targetProbabilities = (calibration: NetworkCalibration | null) => {
    const positions = new FrequencyPositions(countBounds.length + 1);
    const sampled: LogProbabilities[] = [];
    folds.forEach((fold, f) =>
      forEachTarget(fold.lstm, kneserNeyModels[f]!, fold.heldOut, (fromLstm, fromKneserNey, target) => {
        if (calibration === null && positions.length % every === 0) sampled.push(logProbabilities(fromLstm, fromKneserNey, target));
        positions.add(calibration === null ? fromLstm : calibrate(fromLstm, calibration), fromKneserNey, target, classesOfFolds[f]!);
      }),
    );
    return { positions, sampled };
  };
  const { positions: uncalibratedPositions, sampled } = targetProbabilities(null);
  const perplexity = (lambda: number, { lstm, kneserNey } = uncalibratedPositions): number => {
    let logSum = 0;
    for (let i = 0; i < lstm.length; i++) logSum += Math.log(lambda * lstm[i]! + (1 - lambda) * kneserNey[i]!);
    return Math.exp(-logSum / lstm.length);
  };
  const uncalibratedWeight = fitMixtureWeight(uncalibratedPositions.lstm, uncalibratedPositions.kneserNey);
  const { bothSignificant, ...geometric } = fitGeometricMixture(sampled, uncalibratedWeight);
  const calibrated = fitSignificantCalibration(sampled);
  if (calibrated !== null) geometric.linearPerplexity = calibrated.sampledPerplexity;
  // A calibrated mixture is fitted again and scored on every target, as the uncalibrated one is;
  // should λ end at 0 or 1 there, a part answers alone, uncalibrated.
  let linear = { calibration: null as NetworkCalibration | null, lstmWeight: uncalibratedWeight, positions: uncalibratedPositions };
  if (calibrated !== null) {
    const { positions } = targetProbabilities(calibrated.calibration);
    const weight = fitMixtureWeight(positions.lstm, positions.kneserNey);
    if (servedKindFor(weight) === 'mix') linear = { calibration: calibrated.calibration, lstmWeight: weight, positions };
  }
  const byFrequency = fitSignificantFrequencyWeights(linear.positions, linear.lstmWeight, { countBounds, sentences });
  if (byFrequency !== null) {
    const sampledLogLikelihoods = byFrequency.logLikelihoods.filter((_, i) => i % every === 0);
    geometric.linearPerplexity = Math.exp(-sampledLogLikelihoods.reduce((sum, value) => sum + value, 0) / sampledLogLikelihoods.length);
  }
  // The best of the parts is where the linear mixture ends (λ 0 or 1); the geometric one must beat
  // it, and owe more than chance to each part: else it is one part made sharper or flatter.
  const combination: Combination = bothSignificant && geometric.perplexity < geometric.linearPerplexity ? 'geometric' : 'linear';
  const { calibration, lstmWeight } = combination === 'linear' ? linear : { calibration: null, lstmWeight: uncalibratedWeight };
  const frequencyWeights = combination === 'linear' ? byFrequency : null;
  return {
    served: combination === 'geometric' || frequencyWeights !== null ? 'mix' : servedKindFor(lstmWeight),
    lstmWeight,
    lstmPerplexity: perplexity(1),
    kneserNeyPerplexity: perplexity(0),
    mixPerplexity:
      frequencyWeights === null
        ? perplexity(lstmWeight, combination === 'linear' ? linear.positions : uncalibratedPositions)
        : Math.exp(-frequencyWeights.logLikelihoods.reduce((sum, value) => sum + value, 0) / targets),
    targets: uncalibratedPositions.length,
    ...(folds.length > 1 ? { folds: folds.length } : {}),
    geometric,
    combination,
    calibration,
    frequencyWeights: frequencyWeights && { countBounds: frequencyWeights.countBounds, lstmWeights: frequencyWeights.lstmWeights, sentences },
  };
}

/**
 * The network's calibration fitted with the linear mixture on the sampled positions, and that
 * mixture's perplexity there; null when it gains no more than chance over the uncalibrated mixture
 * (likelihood-ratio test) or leaves one part alone.
 */
function fitSignificantCalibration(positions: readonly LogProbabilities[]): { calibration: NetworkCalibration; sampledPerplexity: number } | null {
  if (positions.length === 0) return null;
  const kneserNey = positions.map(({ kneserNey: logs, target }) => Math.exp(logs[target]!));
  const lstm = positions.map(({ lstm: logs, target }) => Math.exp(logs[target]!));
  const weight = fitMixtureWeight(lstm, kneserNey);
  let uncalibrated = 0;
  for (let i = 0; i < lstm.length; i++) uncalibrated += Math.log(weight * lstm[i]! + (1 - weight) * kneserNey[i]!);
  const fitted = fitCalibration(
    positions.map(({ lstm: logs, target }, i) => ({ lstm: logs, kneserNey: kneserNey[i]!, target })),
    fitMixtureWeight,
  );
  const pure = fitted.lstmWeight === 0 || fitted.lstmWeight === 1;
  // The calibration fits two parameters more than the mixture it is nested in.
  if (pure || !gainsMoreThanChance(fitted.logLikelihood, uncalibrated, 2)) return null;
  return { calibration: { exponent: fitted.exponent, unknownScale: fitted.unknownScale }, sampledPerplexity: Math.exp(-fitted.logLikelihood / positions.length) };
}

/**
 * Fits the exponents on `positions` and scores them, and the linear mixture with `lstmWeight`, on
 * the same positions. Each part is more than chance when the fitted exponents beat the other part
 * alone with its own fitted exponent (one parameter more): a near-uniform network raised to any
 * power barely changes the 3-gram, and the other way round.
 */
function fitGeometricMixture(positions: readonly LogProbabilities[], lstmWeight: number): GeometricMixture & { bothSignificant: boolean } {
  const { logLikelihood, ...weights } = fitGeometricWeights(positions);
  const beats = (alone: 'lstm' | 'kneserNey'): boolean => gainsMoreThanChance(logLikelihood, fitGeometricWeights(positions, { alone }).logLikelihood, 1);
  const bothSignificant = beats('kneserNey') && beats('lstm');
  let linearLogSum = 0;
  for (const { lstm, kneserNey, target } of positions) {
    linearLogSum += Math.log(lstmWeight * Math.exp(lstm[target]!) + (1 - lstmWeight) * Math.exp(kneserNey[target]!));
  }
  const count = Math.max(1, positions.length);
  return {
    ...weights,
    perplexity: Math.exp(-logLikelihood / count),
    linearPerplexity: Math.exp(-linearLogSum / count),
    targets: positions.length,
    bothSignificant,
  };
}

/** Calls `use` with both parts' distributions at every target of every sentence, ends of sentence included. */
function forEachTarget(
  lstm: NextTokenPredictor,
  kneserNey: NextTokenPredictor,
  sentences: readonly (readonly number[])[],
  use: (fromLstm: Distribution, fromKneserNey: Distribution, target: number) => void,
): void {
  for (const sentence of sentences) {
    const fromKneserNey = kneserNey.sentenceDistributions(sentence);
    lstm.sentenceDistributions(sentence).forEach((distribution, position) => {
      use(distribution, fromKneserNey[position]!, position < sentence.length ? sentence[position]! : EOS);
    });
  }
}

/** The held-out perplexity of the chosen combination of the two parts: the geometric one's or the linear one's. */
export function mixturePerplexity(choice: ServedModelChoice): number {
  return choice.combination === 'geometric' && choice.geometric !== null ? choice.geometric.perplexity : choice.mixPerplexity;
}

/** `λ·a + (1 − λ)·b`, element by element, into a new array. */
function mixDistributions(a: Distribution, b: Distribution, lstmWeight: number): Float64Array {
  const mixed = new Float64Array(a.length);
  for (let id = 0; id < a.length; id++) mixed[id] = lstmWeight * a[id]! + (1 - lstmWeight) * b[id]!;
  return mixed;
}

/** How the two parts' distributions of one position become the served one. */
type Combine = (lstm: Distribution, kneserNey: Distribution) => Float64Array;

function linearly(lstmWeight: number, calibration: NetworkCalibration | null = null, byFrequency: FrequencyMixture | null = null): Combine {
  return (a, b) => {
    const network = calibration === null ? a : calibrate(a, calibration);
    return byFrequency === null ? mixDistributions(network, b, lstmWeight) : mixByFrequency(network, b, byFrequency);
  };
}

function geometrically(weights: GeometricWeights): Combine {
  return (a, b) => combineGeometrically(a, b, weights);
}

/**
 * The combination `mixture` names: geometric when it has exponents, else linear with λ or λ by
 * word frequency (of the calibrated network, when calibrated).
 */
function combinationOf({ geometric, lstmWeight, calibration, byFrequency }: MixtureWeights): Combine {
  return geometric === null ? linearly(lstmWeight, calibration ?? null, byFrequency ?? null) : geometrically(geometric);
}

/** Two predictors over one vocabulary combined position by position, for held-out evaluation. */
function combiningPredictor(lstm: NextTokenPredictor, kneserNey: NextTokenPredictor, combine: Combine): NextTokenPredictor {
  return {
    sentenceDistributions(ids) {
      const fromKneserNey = kneserNey.sentenceDistributions(ids);
      return lstm.sentenceDistributions(ids).map((distribution, position) => combine(distribution, fromKneserNey[position]!));
    },
  };
}

/**
 * Two models combined as a {@link NextWordModel}: it reads as far back as the LSTM does (the
 * 3-gram uses the last two words of the same context).
 */
function combiningNextWordModel(lstm: NextWordModel, kneserNey: NextWordModel, combine: Combine): NextWordModel {
  return {
    contextLength: lstm.contextLength,
    nextDistribution: (contextIds) => combine(lstm.nextDistribution(contextIds), kneserNey.nextDistribution(contextIds)),
  };
}

/** The linear mixture of two predictors, for held-out evaluation. */
export function mixturePredictor(lstm: NextTokenPredictor, kneserNey: NextTokenPredictor, lstmWeight: number): NextTokenPredictor {
  return combiningPredictor(lstm, kneserNey, linearly(lstmWeight));
}

/** The geometric combination of two predictors, for held-out evaluation. */
export function geometricPredictor(lstm: NextTokenPredictor, kneserNey: NextTokenPredictor, weights: GeometricWeights): NextTokenPredictor {
  return combiningPredictor(lstm, kneserNey, geometrically(weights));
}

/** The combination of the parts `mixture` names, for held-out evaluation. */
export function combinedPredictor(lstm: NextTokenPredictor, kneserNey: NextTokenPredictor, mixture: MixtureWeights): NextTokenPredictor {
  return combiningPredictor(lstm, kneserNey, combinationOf(mixture));
}

/** The combination of the parts `mixture` names, for answering. */
export function combinedNextWordModel(lstm: NextWordModel, kneserNey: NextWordModel, mixture: MixtureWeights): NextWordModel {
  return combiningNextWordModel(lstm, kneserNey, combinationOf(mixture));
}

/** The geometric combination as a {@link NextWordModel}. */
export function geometricNextWordModel(lstm: NextWordModel, kneserNey: NextWordModel, weights: GeometricWeights): NextWordModel {
  return combiningNextWordModel(lstm, kneserNey, geometrically(weights));
}

/** The linear mixture as a {@link NextWordModel}. */
export function mixtureNextWordModel(lstm: NextWordModel, kneserNey: NextWordModel, lstmWeight: number): NextWordModel {
  return combiningNextWordModel(lstm, kneserNey, linearly(lstmWeight));
}

/**
 * A Kneser-Ney 3-gram as a {@link NextWordModel}. Its context length is 2: the trigram reads the
 * last two words (a shorter input is preceded by the start of sentence), so a longer input is
 * reported as truncated to the words that were really used.
 */
export function kneserNeyNextWordModel(model: KneserNeyTrigram): NextWordModel {
  return { contextLength: 2, nextDistribution: (contextIds) => model.distribution(contextIds) };
}
