/**
 * The limitations of RNNs that `/explain` measures, and which of them an input shows.
 *
 * @module
 */
import type { ExplainedInput } from '../lm/explain/input.ts';

/** One section of `/explain`. */
export type ExplainTopic = 'memory' | 'vanishing' | 'sequential' | 'unknown' | 'window';

/** Every topic, in the order sections are shown. */
export const EXPLAIN_TOPICS: readonly ExplainTopic[] = ['memory', 'vanishing', 'sequential', 'unknown', 'window'];

/** Whether a string names a topic. */
export function isExplainTopic(value: string): value is ExplainTopic {
  return (EXPLAIN_TOPICS as readonly string[]).includes(value);
}

/** A known word seen fewer times than this in the corpus counts as rare. */
export const RARE_BELOW = 3;

/** Gradients need a few steps to show how they shrink: the start marker and three words. */
const MIN_STEPS_FOR_GRADIENT_DECAY = 4;

/**
 * From this many words on, the input is long enough that its own forward pass makes the cost of
 * sequential steps worth showing.
 */
const MIN_TOKENS_FOR_TIMING = 8;

/**
 * The topics that apply to an input, in display order. `rareWords` counts the input's unknown and
 * rare words; `input` is null when every word is unknown (only that can be explained then).
 */
export function applicableTopics(input: ExplainedInput | null, rareWords: number): ExplainTopic[] {
  if (input === null) return ['unknown'];
  const words = input.positions.filter((position) => !position.start).length;
  const applies: Record<ExplainTopic, boolean> = {
    memory: true,
    vanishing: input.positions.length >= MIN_STEPS_FOR_GRADIENT_DECAY,
    sequential: input.tokens.length >= MIN_TOKENS_FOR_TIMING,
    unknown: rareWords > 0,
    // The trigram reads two words: only a longer input holds words it cannot see.
    window: words > 2,
  };
  return EXPLAIN_TOPICS.filter((topic) => applies[topic]);
}
