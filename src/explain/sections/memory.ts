/**
 * "Memory fades with distance": the influence of each word on the prediction, by occlusion and by
 * the gradient with respect to the word's embedding.
 *
 * @module
 */
import type { StepGradients } from '../../lm/explain/gradients.ts';
import type { ExplainedInput } from '../../lm/explain/input.ts';
import type { Occlusion } from '../../lm/explain/occlusion.ts';
import { UNK } from '../../lm/special-tokens.ts';
import { detokenize } from '../../lm/tokenizer.ts';
import type { Vocabulary } from '../../lm/vocabulary.ts';
import { barTable } from '../../text/bars.ts';
import { inlineCode } from '../../text/markdown.ts';
import { percent } from '../../text/percent.ts';
import { points, positionLabel, scientific, wordNumbers } from '../format.ts';
import type { ExplainMessages } from '../i18n/index.ts';
import { codeBlocks, type Section } from '../pages.ts';

/** How many of the most recent positions are compared with the rest in the summary. */
const RECENT_POSITIONS = 3;

/** The share of the summed gradient norms carried by the last `recent` positions. */
function recentShare(norms: readonly number[], recent: number): number {
  const total = norms.reduce((sum, norm) => sum + norm, 0);
  if (total === 0) return 0;
  return norms.slice(-recent).reduce((sum, norm) => sum + norm, 0) / total;
}

/** The memory section. */
export function memorySection(
  m: ExplainMessages,
  vocabulary: Vocabulary,
  input: ExplainedInput,
  hidden: Occlusion,
  gradients: StepGradients,
  options: { contextLength: number; chart: boolean },
): Section {
  const target = inlineCode(vocabulary.tokenOf(input.targetId));
  const numbers = wordNumbers(input.positions);
  const read = input.positions.filter((position) => !position.start).map((position) => position.token);
  const blocks = [m.memory.intro(inlineCode(detokenize(read)), target, percent(hidden.baseline))];

  const largestDrop = Math.max(0, ...hidden.effects.map((effect) => -effect.change));
  const effects = new Map(hidden.effects.map((effect) => [effect.position, effect]));
  const occlusionRows = input.positions.flatMap((position, index) => {
    const effect = effects.get(index);
    const label = positionLabel(position, numbers[index]!);
    if (effect !== undefined) {
      return [
        {
          label,
          fraction: largestDrop > 0 ? Math.max(0, -effect.change) / largestDrop : 0,
          value: `→ ${percent(effect.probability)}${effect.change > 0 ? ' ↑' : '  '}`,
        },
      ];
    }
    // An unknown word is already read as the unknown token: there is nothing left to hide.
    return position.unknown ? [{ label, fraction: 0, value: `(${vocabulary.tokenOf(UNK)})` }] : [];
  });
  blocks.push(m.memory.occlusionCaption(target));
  blocks.push(...codeBlocks(barTable(occlusionRows, { barWidth: 12 }).split('\n')));

  const largestNorm = Math.max(...gradients.embedding);
  blocks.push(m.memory.gradientCaption(target));
  blocks.push(
    ...codeBlocks(
      barTable(
        gradients.embedding.map((norm, position) => ({
          label: positionLabel(input.positions[position]!, numbers[position]!),
          fraction: largestNorm > 0 ? norm / largestNorm : 0,
          value: scientific(norm),
        })),
        { barWidth: 12 },
      ).split('\n'),
    ),
  );

  const findings: string[] = [];
  const strongest = hidden.effects.reduce<(typeof hidden.effects)[number] | undefined>(
    (best, effect) => (best === undefined || effect.change < best.change ? effect : best),
    undefined,
  );
  if (strongest !== undefined && strongest.change < 0) {
    const back = input.positions.length - 1 - strongest.position;
    findings.push(
      m.memory.strongest(
        inlineCode(input.positions[strongest.position]!.token),
        back,
        points(strongest.change),
        strongest.topId === input.targetId ? null : inlineCode(vocabulary.tokenOf(strongest.topId)),
      ),
    );
  }
  if (gradients.embedding.length > 2 * RECENT_POSITIONS) {
    findings.push(m.memory.recentShare(RECENT_POSITIONS, percent(recentShare(gradients.embedding, RECENT_POSITIONS))));
  }
  if (input.truncated) {
    findings.push(m.memory.truncated(input.tokens.length, options.contextLength, input.tokens.length - input.positions.length));
  }
  findings.push(m.memory.lesson);
  if (options.chart) findings.push(m.memory.chartNote);
  blocks.push(findings.join('\n'));
  return { title: m.titles.memory, blocks };
}
