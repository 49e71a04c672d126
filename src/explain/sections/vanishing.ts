/**
 * "Vanishing gradients": how much of the gradient of the predicted word's log-probability reaches
 * each earlier step's hidden and cell state.
 *
 * @module
 */
import { magnitudeDrops, type StepGradients } from '../../lm/explain/gradients.ts';
import type { ExplainedInput } from '../../lm/explain/input.ts';
import type { Vocabulary } from '../../lm/vocabulary.ts';
import { bar } from '../../text/bars.ts';
import { inlineCode } from '../../text/markdown.ts';
import { columns, factor, positionLabel, scientific, wordNumbers } from '../format.ts';
import type { ExplainMessages } from '../i18n/index.ts';
import { codeBlocks, type Section } from '../pages.ts';

/** The vanishing-gradients section. */
export function vanishingSection(
  m: ExplainMessages,
  vocabulary: Vocabulary,
  input: ExplainedInput,
  gradients: StepGradients,
  clipNorm: number | undefined,
): Section {
  const target = inlineCode(vocabulary.tokenOf(input.targetId));
  const numbers = wordNumbers(input.positions);
  const largest = Math.max(...gradients.hidden);
  const rows = gradients.hidden.map((norm, step) => [
    positionLabel(input.positions[step]!, numbers[step]!),
    bar(largest > 0 ? norm / largest : 0, 12).padEnd(12, ' '),
    scientific(norm),
    scientific(gradients.cell[step]!),
  ]);
  const table = columns([['', '', '‖∂/∂h‖', '‖∂/∂c‖'], ...rows], [2, 3]);
  const blocks = [m.vanishing.intro(target), ...codeBlocks(table)];

  const label = (step: number): string => inlineCode(input.positions[step]!.token);
  const last = gradients.hidden.length - 1;
  const drops = magnitudeDrops(gradients.hidden);
  const findings = drops.length === 0
    ? [m.vanishing.noDrop(gradients.hidden.length)]
    : drops.map(({ factor: times, step }) => m.vanishing.drop(times, label(step), last - step));
  // How many times smaller the gradient is at the first step than at the last (below 1: larger).
  const shrink = (series: readonly number[]): number => series[last]! / series[0]!;
  const hiddenShrink = shrink(gradients.hidden);
  const cellShrink = shrink(gradients.cell);
  if (last > 0 && [hiddenShrink, cellShrink].every((value) => Number.isFinite(value) && value > 0)) {
    const change = (value: number): string => (value >= 1 ? m.vanishing.shrinks(factor(value)) : m.vanishing.growsBy(factor(1 / value)));
    findings.push(m.vanishing.endToEnd(label(0), change(hiddenShrink), change(cellShrink)));
    if (cellShrink < hiddenShrink) findings.push(m.vanishing.cellKeepsMore);
  }
  if (gradients.hidden.some((norm) => norm > gradients.hidden[last]! * 10)) findings.push(m.vanishing.exploding);
  findings.push(m.vanishing.lesson(clipNorm === undefined ? null : String(clipNorm)));
  blocks.push(findings.join('\n'));
  return { title: m.titles.vanishing, blocks };
}
