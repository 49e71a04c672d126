/**
 * Golden-section search and the likelihood-ratio test, shared by the fits of the served mixture
 * (`served-model.ts`, `network-calibration.ts`, `frequency-weights.ts`).
 *
 * @module
 */

/** Golden-section steps: the interval shrinks to 0.618^24 ≈ 1e-5 of its width. */
const GOLDEN_STEPS = 24;
const GOLDEN = (Math.sqrt(5) - 1) / 2;

/** The best of `evaluate`'s results over `[low, high]`, for a log-likelihood with one maximum there. */
export function goldenSectionMaximum<Fit extends { logLikelihood: number }>([low, high]: readonly [number, number], evaluate: (x: number) => Fit): Fit {
  let a = low;
  let b = high;
  let leftAt = b - GOLDEN * (b - a);
  let rightAt = a + GOLDEN * (b - a);
  let left = evaluate(leftAt);
  let right = evaluate(rightAt);
  for (let step = 0; step < GOLDEN_STEPS; step++) {
    if (left.logLikelihood >= right.logLikelihood) {
      b = rightAt;
      rightAt = leftAt;
      right = left;
      leftAt = b - GOLDEN * (b - a);
      left = evaluate(leftAt);
    } else {
      a = leftAt;
      leftAt = rightAt;
      left = right;
      rightAt = a + GOLDEN * (b - a);
      right = evaluate(rightAt);
    }
  }
  return left.logLikelihood >= right.logLikelihood ? left : right;
}

/** The 95th percentiles of χ² with 1 to 30 degrees of freedom. */
const CHI_SQUARE_95 = [
  3.841, 5.991, 7.815, 9.488, 11.07, 12.592, 14.067, 15.507, 16.919, 18.307, 19.675, 21.026, 22.362, 23.685, 24.996, 26.296, 27.587, 28.869, 30.144,
  31.41, 32.671, 33.924, 35.172, 36.415, 37.652, 38.885, 40.113, 41.337, 42.557, 43.773,
];

/**
 * Whether a fit with `extraParameters` more than a nested one gains more than chance: the
 * likelihood-ratio test at 95% (twice the log-likelihood gained against χ² with that many degrees
 * of freedom; Wilson–Hilferty's approximation beyond the table).
 */
export function gainsMoreThanChance(logLikelihood: number, nestedLogLikelihood: number, extraParameters: number): boolean {
  const k = extraParameters;
  const critical = CHI_SQUARE_95[k - 1] ?? k * (1 - 2 / (9 * k) + 1.6449 * Math.sqrt(2 / (9 * k))) ** 3;
  return 2 * (logLikelihood - nestedLogLikelihood) > critical;
}
