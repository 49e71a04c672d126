/**
 * What the scenarios that drive the bot under load share: the plan of ordinary interactions, the
 * bot's event-loop delay, latency figures and the bot's log.
 *
 * @module
 */
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { snowflake } from '../../test/support/interactions.ts';
import { round } from './format.ts';
import { percentile } from './stats.ts';

/** Discord's acknowledgement deadline; the fake Discord refuses later acknowledgements too. */
export const DEADLINE_MS = 3000;

/**
 * Sampling interval of the event-loop delay histogram. Node records the time between two samples,
 * interval included; the interval is subtracted to report the delay alone.
 */
const LOOP_SAMPLE_MS = 10;

/** Event-loop delay in milliseconds beyond the sampling interval. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** Starts measuring this thread's event-loop delay; `stop` ends it and gives the figures. */
export function measureLoopDelay(): { stop(): LoopDelay } {
  const histogram = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      const delay = (ns: number): number => round(Math.max(0, ns / 1e6 - LOOP_SAMPLE_MS), 2);
      return { p50: delay(histogram.percentile(50)), p99: delay(histogram.percentile(99)), max: delay(histogram.max) };
    },
  };
}

/** Event-loop delay over `durationMs` with nothing else to do: what the machine and training cost alone. */
export async function idleLoopDelay(durationMs: number): Promise<LoopDelay> {
  const measuring = measureLoopDelay();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  return measuring.stop();
}

/** Latency figures in milliseconds. */
export interface LatencyFigures {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function latency(values: readonly number[]): LatencyFigures {
  return {
    count: values.length,
    p50Ms: round(percentile(values, 50), 1),
    p99Ms: round(percentile(values, 99), 1),
    maxMs: round(values.length === 0 ? Number.NaN : Math.max(...values), 1),
  };
}

/** Warning and error lines the bot logged (pino JSON lines in `file`), by message. */
export function readLog(file: string): { warnings: number; errors: number; messages: Record<string, number> } {
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : [];
  const messages: Record<string, number> = {};
  let warnings = 0;
  let errors = 0;
  for (const raw of lines) {
    const line = JSON.parse(raw) as { level: number; msg: string };
    if (line.level >= 50) errors += 1;
    else if (line.level >= 40) warnings += 1;
    messages[line.msg] = (messages[line.msg] ?? 0) + 1;
  }
  return { warnings, errors, messages };
}

/** Writes a progress line on stderr (stdout carries the report). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The ordinary interactions of a load: what members do all day. */
export const ORDINARY_KINDS = ['predict', 'autocomplete', 'teach'] as const;
export type OrdinaryKind = (typeof ORDINARY_KINDS)[number];
/** Share of each ordinary kind in a load. */
export const ORDINARY_MIX: Record<OrdinaryKind, number> = { predict: 0.7, autocomplete: 0.2, teach: 0.1 };

/** One ordinary interaction, decided in advance so runs are comparable. */
export interface PlannedInteraction {
  kind: OrdinaryKind;
  guildId: string;
  text: string;
  userId: string;
}

/**
 * `count` ordinary interactions in the {@link ORDINARY_MIX}, in a shuffled order, each on a server
 * drawn from `guildIds` and about the sentences of its share: members type the start of a sentence
 * of their server, teachers add a sentence of their own.
 */
export function planOrdinaryLoad(count: number, guildIds: readonly string[], shares: readonly string[][], random: () => number): PlannedInteraction[] {
  const predictCount = Math.round(count * ORDINARY_MIX.predict);
  const autocompleteCount = Math.round(count * ORDINARY_MIX.autocomplete);
  const kinds = Array.from({ length: count }, (_, i): OrdinaryKind => (i < predictCount ? 'predict' : i < predictCount + autocompleteCount ? 'autocomplete' : 'teach'));
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return kinds.map((kind, index) => {
    const guild = Math.floor(random() * guildIds.length);
    const share = shares[guild]!;
    const sentence = share[Math.floor(random() * share.length)]!;
    const words = sentence.split(/\s+/);
    const text = kind === 'teach' ? `${sentence} ${index}` : words.slice(0, 1 + Math.floor(random() * Math.min(3, words.length))).join(' ');
    return { kind, guildId: guildIds[guild]!, text, userId: snowflake() };
  });
}
