/**
 * The overview shown without input: one live example from the server's corpus, with one measured
 * figure per limitation.
 *
 * @module
 */
import type { FixedWindowComparison } from '../../lm/explain/fixed-window.ts';
import type { StepGradients } from '../../lm/explain/gradients.ts';
import type { ExplainedInput } from '../../lm/explain/input.ts';
import type { Occlusion } from '../../lm/explain/occlusion.ts';
import { detokenize } from '../../lm/tokenizer.ts';
import type { Vocabulary } from '../../lm/vocabulary.ts';
import { inlineCode } from '../../text/markdown.ts';
import { percent } from '../../text/percent.ts';
import { factor, points } from '../format.ts';
import type { ExplainMessages } from '../i18n/index.ts';
import type { Section } from '../pages.ts';

/** Measurements of the example, when the corpus offered one. */
export interface OverviewExample {
  input: ExplainedInput;
  /** The word that follows the example in the corpus sentence. */
  actualNext: string;
  occlusion: Occlusion;
  gradients: StepGradients;
  /** Absent when the corpus is empty. */
  comparison?: FixedWindowComparison;
}

/** The overview section. */
export function overviewSection(
  m: ExplainMessages,
  vocabulary: Vocabulary,
  example: OverviewExample | null,
  facts: { contextLength: number; vocabularyWords: number; unknownShare: number | null },
): Section {
  const lines = [m.overview.intro];
  if (example === null) {
    lines.push(m.overview.noExample);
  } else {
    const { input, occlusion, gradients, comparison } = example;
    const predicted = inlineCode(vocabulary.tokenOf(input.targetId));
    lines.push(m.overview.example(inlineCode(detokenize(input.tokens)), predicted, percent(input.targetProbability), inlineCode(example.actualNext)));
    const strongest = occlusion.effects.reduce<(typeof occlusion.effects)[number] | undefined>(
      (best, effect) => (best === undefined || effect.change < best.change ? effect : best),
      undefined,
    );
    if (strongest !== undefined && strongest.change < 0) {
      lines.push(`- ${m.overview.memory(inlineCode(input.positions[strongest.position]!.token), input.positions.length - 1 - strongest.position, points(strongest.change))}`);
    }
    const first = gradients.hidden[0]!;
    const last = gradients.hidden.at(-1)!;
    if (first > 0 && last > 0 && gradients.hidden.length > 1) {
      lines.push(`- ${m.overview.vanishing(gradients.hidden.length, last >= first ? m.vanishing.shrinks(factor(last / first)) : m.vanishing.growsBy(factor(first / last)))}`);
    }
    if (comparison !== undefined && comparison.trigram[0] !== undefined && comparison.lstm[0] !== undefined) {
      lines.push(`- ${m.overview.window(inlineCode(comparison.lstm[0].word), inlineCode(comparison.trigram[0].word))}`);
    }
  }
  lines.push(`- ${m.overview.sequential(facts.contextLength)}`);
  lines.push(`- ${m.overview.unknown(facts.vocabularyWords, facts.unknownShare === null ? null : percent(facts.unknownShare))}`);
  lines.push(m.overview.tryIt);
  return { title: m.titles.overview, blocks: [lines.join('\n')] };
}
