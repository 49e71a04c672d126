/**
 * Occlusion: how much the prediction depends on each input word, measured by hiding the word
 * (replacing it with the unknown token) and reading the predicted word's probability again.
 *
 * @module
 */
import type { LstmLanguageModel } from '../model.ts';
import { BOS, UNK } from '../special-tokens.ts';
import { argmaxWord } from './distribution.ts';

/** The effect of hiding one position. */
export interface OcclusionEffect {
  /** Index in the context. */
  position: number;
  /** p(target) with this position read as the unknown token. */
  probability: number;
  /** `probability - baseline`: negative when the word supported the prediction. */
  change: number;
  /** The most probable real word once this position is hidden. */
  topId: number;
}

/** The result of {@link occlusion}. */
export interface Occlusion {
  targetId: number;
  /** p(target | context) with nothing hidden. */
  baseline: number;
  /**
   * One entry per position holding a word, in context order. The start marker and positions
   * that already hold the unknown token are left out: hiding them changes nothing or nothing
   * the member typed.
   */
  effects: OcclusionEffect[];
}

/**
 * Hides each word of `contextIds` in turn and measures p(`targetId`). All variants run as one
 * batch, so the cost is about one forward pass.
 */
export function occlusion(model: LstmLanguageModel, contextIds: readonly number[], targetId: number): Occlusion {
  const occludable = contextIds.flatMap((id, position) => (id === BOS || id === UNK ? [] : [position]));
  const variants = occludable.map((position) => contextIds.map((id, index) => (index === position ? UNK : id)));
  const [original, ...hidden] = model.nextDistributions([contextIds, ...variants]);
  const baseline = original?.[targetId] as number;
  return {
    targetId,
    baseline,
    effects: occludable.map((position, index) => {
      const distribution = hidden[index] as Float32Array;
      const probability = distribution[targetId] as number;
      return { position, probability, change: probability - baseline, topId: argmaxWord(distribution) };
    }),
  };
}
