/**
 * "Sequential computation": measured forward-pass times for growing input lengths, against one
 * batched step doing the same number of LSTM cell updates.
 *
 * @module
 */
import type { ForwardTimings } from '../../lm/explain/timing.ts';
import { bar } from '../../text/bars.ts';
import { columns, factor, milliseconds } from '../format.ts';
import type { ExplainMessages } from '../i18n/index.ts';
import { codeBlocks, type Section } from '../pages.ts';

/** Input lengths timed, in words. */
export const TIMED_LENGTHS: readonly number[] = [4, 8, 16, 32, 64];

/** Repeats per length: the median of a few runs, keeping the whole section well under a second. */
export const TIMING_REPEATS = 5;

/** The sequential-computation section. */
export function sequentialSection(
  m: ExplainMessages,
  measured: ForwardTimings,
  settings: { backend: string; contextLength: number },
): Section {
  const { timings } = measured;
  const slowest = Math.max(...timings.map((timing) => timing.forwardMs));
  const header = m.sequential.columns;
  const rows = timings.map((timing) => [
    String(timing.length),
    bar(slowest > 0 ? timing.forwardMs / slowest : 0, 10).padEnd(10, ' '),
    milliseconds(timing.forwardMs),
    milliseconds(timing.sequentialMs),
    milliseconds(timing.batchedMs),
  ]);
  const table = columns([[header.length, '', header.forward, header.sequential, header.batched], ...rows], [0, 2, 3, 4]);
  const blocks = [m.sequential.intro(measured.repeats, settings.backend), ...codeBlocks(table)];

  const first = timings[0]!;
  const last = timings.at(-1)!;
  const findings = [m.sequential.perStep(milliseconds(Math.max(0, measured.msPerStep)), last.length, first.length, factor(last.forwardMs / first.forwardMs))];
  findings.push(
    last.batchedMs < last.sequentialMs
      ? m.sequential.batchFaster(last.length, milliseconds(last.sequentialMs), milliseconds(last.batchedMs), factor(last.sequentialMs / last.batchedMs))
      : m.sequential.batchNotFaster(last.length),
  );
  findings.push(m.sequential.lesson(settings.contextLength));
  findings.push(m.sequential.noise);
  blocks.push(findings.join('\n'));
  return { title: m.titles.sequential, blocks };
}
