/**
 * Probabilities as members read them.
 *
 * @module
 */

/** Formats a probability as a percentage with one decimal (`42.1%`, `<0.1%`). */
export function percent(probability: number): string {
  if (probability > 0 && probability < 0.0005) return '<0.1%';
  return `${(probability * 100).toFixed(1)}%`;
}
