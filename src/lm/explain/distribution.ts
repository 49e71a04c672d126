/**
 * Small readings of a next-word distribution shared by the explanations.
 *
 * @module
 */
import type { Distribution } from '../evaluate.ts';
import { FIRST_WORD_ID } from '../special-tokens.ts';

/** The most probable real word (special tokens skipped); ties go to the smaller id. */
export function argmaxWord(distribution: Distribution): number {
  let best = FIRST_WORD_ID;
  for (let id = FIRST_WORD_ID + 1; id < distribution.length; id++) {
    if ((distribution[id] as number) > (distribution[best] as number)) best = id;
  }
  return best;
}

/**
 * Total variation distance between two distributions over the same ids: the share of
 * probability mass that would have to move to turn one into the other (0 = equal, 1 = disjoint).
 */
export function totalVariation(a: Distribution, b: Distribution): number {
  if (a.length !== b.length) throw new RangeError(`distributions over ${a.length} and ${b.length} ids cannot be compared`);
  let sum = 0;
  for (let id = 0; id < a.length; id++) sum += Math.abs((a[id] as number) - (b[id] as number));
  return sum / 2;
}
