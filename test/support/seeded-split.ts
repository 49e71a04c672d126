import type { TrainingData } from '../../src/lm/training-types.ts';
import { Random } from '../../src/lm/random.ts';

/**
 * Splits word-id sentences for trainer tests: a seeded random `fraction` of them (at least one when
 * fraction > 0 and there are two or more) is held out. The product splits by a hash of the tokens
 * instead (`splitForValidation` in `src/training/data.ts`), so a sentence keeps its side as the
 * corpus grows.
 */
export function seededSplit(sentences: readonly number[][], fraction: number, seed: number): TrainingData {
  if (fraction <= 0 || sentences.length < 2) return { train: [...sentences], validation: [] };
  const heldOut = Math.min(sentences.length - 1, Math.max(1, Math.round(sentences.length * fraction)));
  const order = new Random(seed).fork('validation-split').shuffle(sentences.map((_, i) => i));
  const validationIds = new Set(order.slice(0, heldOut));
  return {
    train: sentences.filter((_, i) => !validationIds.has(i)),
    validation: sentences.filter((_, i) => validationIds.has(i)),
  };
}
