/**
 * Calibration of the network before the linear mixture: `P'(w) ∝ P_LSTM(w)^exponent`, with the
 * unknown word's probability also multiplied by `unknownScale`. A network trained with dropout and
 * stopped by validation is often less confident than it should be (an exponent above 1 sharpens
 * it, temperature scaling), and it learns how often a word is new from the words its training
 * sentences hold once, which says too little about how often new text brings one. Both are fitted
 * with the mixture's weight on the validation sentences, where every word the training sentences
 * never held reads as unknown, as in new text.
 *
 * @module
 */
import type { Distribution } from './evaluate.ts';
import { goldenSectionMaximum } from './likelihood-fitting.ts';
import { UNK } from './special-tokens.ts';

/** How the network's distribution is reshaped before it is mixed. */
export interface NetworkCalibration {
  /** The power its probabilities are raised to: above 1 sharpens, below 1 flattens. */
  exponent: number;
  /** What the unknown word's probability is multiplied by (before renormalising). */
  unknownScale: number;
}

/** One validation position: the network's log-probabilities of every id, and the 3-gram's probability of the target. */
export interface CalibrationPosition {
  lstm: Float32Array;
  kneserNey: number;
  target: number;
}

/** A calibration with the linear mixture's weight fitted beside it, and the log-likelihood both reach. */
export interface FittedCalibration extends NetworkCalibration {
  lstmWeight: number;
  logLikelihood: number;
}

/** Where the exponent and the unknown word's scale are searched: a tenth to twice as sharp, a tenth to ten times as likely. */
const EXPONENT_RANGE: readonly [number, number] = [0.5, 2];
const LOG_UNKNOWN_SCALE_RANGE: readonly [number, number] = [Math.log(0.1), Math.log(10)];

/** `distribution` calibrated, into a new array that sums to 1. */
export function calibrate(distribution: Distribution, { exponent, unknownScale }: NetworkCalibration): Float64Array {
  const calibrated = new Float64Array(distribution.length);
  let total = 0;
  for (let id = 0; id < distribution.length; id++) {
    const p = distribution[id]! ** exponent * (id === UNK ? unknownScale : 1);
    calibrated[id] = p;
    total += p;
  }
  for (let id = 0; id < calibrated.length; id++) calibrated[id]! /= total;
  return calibrated;
}

/**
 * The calibration and mixture weight that maximise the likelihood of the positions' targets under
 * `λ·P'_LSTM + (1 − λ)·P_3gram`: golden-section searches, the unknown word's scale inside the
 * exponent's, λ fitted exactly inside both (`fitWeight`, concave in λ).
 */
export function fitCalibration(positions: readonly CalibrationPosition[], fitWeight: (a: readonly number[], b: readonly number[]) => number): FittedCalibration {
  const kneserNey = positions.map((position) => position.kneserNey);
  const atExponent = (exponent: number): FittedCalibration => {
    // What the unknown word's scale leaves unchanged, computed once per exponent.
    const parts = positions.map(({ lstm, target }) => {
      let others = 0;
      for (let id = 0; id < lstm.length; id++) if (id !== UNK) others += Math.exp(exponent * lstm[id]!);
      return { others, unknown: Math.exp(exponent * lstm[UNK]!), target: target === UNK ? null : Math.exp(exponent * lstm[target]!) };
    });
    const atScale = (logScale: number): FittedCalibration => {
      const unknownScale = Math.exp(logScale);
      const calibrated = parts.map(({ others, unknown, target }) => (target ?? unknownScale * unknown) / (others + unknownScale * unknown));
      const lstmWeight = fitWeight(calibrated, kneserNey);
      let logLikelihood = 0;
      for (let i = 0; i < calibrated.length; i++) logLikelihood += Math.log(lstmWeight * calibrated[i]! + (1 - lstmWeight) * kneserNey[i]!);
      return { exponent, unknownScale, lstmWeight, logLikelihood };
    };
    return goldenSectionMaximum(LOG_UNKNOWN_SCALE_RANGE, atScale);
  };
  return goldenSectionMaximum(EXPONENT_RANGE, atExponent);
}
