/**
 * Part `flood` of scenario `abuse`: members sending `/explain` and `/generate length:50` as fast as
 * Discord lets them, while the bot's other members send 1,000 ordinary interactions (70%
 * `/predict`, 20% autocomplete, 10% `/teach`) at concurrency 50 over 5 servers and server 1
 * retrains from scratch in its worker thread. Targets: every interaction acknowledged within
 * Discord's 3 s, the bot's event-loop delay p99 under 50 ms.
 *
 * The bot runs in this process, wired as `npm start` wires it with the product's default limits;
 * the loopback fake Discord and the members run in a driver thread of their own (see
 * `discord-load`). Each abusing member sends their next command as soon as the previous one is
 * acknowledged, and never sooner than `gapMs` after it (Discord's client and its rate limits do not
 * let one account send much faster).
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { FakeDiscord, type InteractionHandle } from '../../../test/support/fake-discord.ts';
import { MEMBER_PERMISSIONS, autocomplete, slashCommand, snowflake } from '../../../test/support/interactions.ts';
import { numberedCopies } from '../../lib/corpus.ts';
import { serveFakeDiscord, startDriverThread, type FakeDiscordDriverMessage } from '../../lib/driver-thread.ts';
import { markdownTable, round } from '../../lib/format.ts';
import {
  DEADLINE_MS,
  latency,
  measureLoopDelay,
  ORDINARY_KINDS,
  planOrdinaryLoad,
  progress,
  readLog,
  type LatencyFigures,
  type LoopDelay,
  type OrdinaryKind,
  type PlannedInteraction,
} from '../../lib/load.ts';
import { seededRandom } from '../../../test/support/seeded-random.ts';
import { loadAverage } from '../../lib/machine.ts';
import { sampleRss } from '../../lib/memory.ts';
import type { PartReport } from './part.ts';

const DRIVER_ROLE = 'abuse-flood-driver';
/** How long one interaction may take to its final response before it counts as unanswered. */
const ANSWER_TIMEOUT_MS = 60_000;
/** The event-loop delay target (p99). */
const LOOP_DELAY_TARGET_MS = 50;

/** Options of {@link runFlood}. */
export interface FloodOptions {
  /** Members abusing the expensive commands, spread over the servers. */
  abusers: number;
  /** Least time between two commands of one abusing member. */
  gapMs: number;
  /** Ordinary interactions, and how many are in flight at once. */
  interactions: number;
  concurrency: number;
  guilds: number;
  /** Sentences server 1 retrains on from scratch during the load. */
  retrainSentences: number;
  corpus: string[];
  corpusName: string;
}

const ABUSE_KINDS = ['explain', 'generate'] as const;
type Kind = OrdinaryKind | (typeof ABUSE_KINDS)[number];

interface Abuser {
  guildId: string;
  userId: string;
  /** Words to explain or continue. */
  text: string;
}

/** How the bot answered one interaction. */
type Outcome = 'answered' | 'refused' | 'busy' | 'failed' | 'unanswered';

interface Measured {
  kind: Kind;
  /** Dispatch to the first accepted response (null: none). */
  firstMs: number | null;
  /** Dispatch to the response carrying the answer. */
  finalMs: number | null;
  outcome: Outcome;
}

interface DriverResult {
  measured: Measured[];
  wallMs: number;
  refusedStatuses: Record<string, number>;
}

type ToDriver = { type: 'load'; plan: PlannedInteraction[]; concurrency: number; abusers: Abuser[]; gapMs: number } | { type: 'stop' };
type FromDriver = FakeDiscordDriverMessage<DriverResult>;

interface DriverData {
  role: typeof DRIVER_ROLE;
  guildIds: string[];
}

/** Runs the part; see the module description. */
export async function runFlood(options: FloodOptions): Promise<PartReport> {
  const { createApp } = await import('../../../src/app/create-app.ts');
  const { importLines } = await import('../../../src/app/corpus-import.ts');
  const { loadConfig, requireDiscordCredentials } = await import('../../../src/config.ts');
  const { startBot } = await import('../../../src/discord/bot.ts');
  const { createLogger } = await import('../../../src/log.ts');

  const loadBefore = loadAverage();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-abuse-flood-'));
  const guildIds = Array.from({ length: options.guilds }, () => snowflake());
  const shares = guildIds.map((_, index) => options.corpus.filter((__, line) => line % guildIds.length === index));
  const driver = startDriverThread<ToDriver, FromDriver>(new URL(import.meta.url), { role: DRIVER_ROLE, guildIds } satisfies DriverData);
  try {
    const fake = await driver.next('listening');
    // The product's defaults (limits included): only what the run needs is set.
    const config = requireDiscordCredentials(
      loadConfig({
        DISCORD_TOKEN: fake.token,
        DISCORD_CLIENT_ID: fake.applicationId,
        DISCORD_API_URL: fake.apiUrl,
        DB_PATH: path.join(dir, 'bot.sqlite'),
        LOG_LEVEL: 'warn',
        RETRAIN_INTERVAL_MINUTES: '600',
        RETRAIN_MIN_CHANGES: '100000',
      }),
    );
    const logFile = path.join(dir, 'bot.log');
    const logger = createLogger({ level: config.logLevel, destination: { file: logFile } });
    const app = await createApp(config, logger, { schedule: true });
    try {
      progress(`flood: training the first model of ${guildIds.length} servers`);
      for (const [index, guildId] of guildIds.entries()) {
        importLines(app.store, guildId, shares[index]!, { authorId: 'bench', source: 'import' });
        const result = await app.training.requestRetrain(guildId, { full: true, requestedBy: 'bench' }).done;
        if (result.status !== 'succeeded') throw new Error(`the first model of server ${index + 1} could not be trained: ${JSON.stringify(result)}`);
      }
      const bot = await startBot(config, app.services, logger);
      try {
        // As in discord-load: discord.js's own 50 requests/s would queue the edits of deferred replies.
        bot.client.rest.options.globalRequestsPerSecond = 1000;
        const retrainCorpus = numberedCopies(options.corpus, options.retrainSentences);
        importLines(app.store, guildIds[0]!, retrainCorpus, { authorId: 'bench', source: 'import' });
        const retrain = app.training.requestRetrain(guildIds[0]!, { full: true, requestedBy: 'bench' });
        let retrainEnded = false;
        void retrain.done.then(() => {
          retrainEnded = true;
        });
        await new Promise<void>((resolve) => {
          const stop = retrain.onProgress((update) => {
            if (update.phase !== 'training') return;
            stop();
            resolve();
          });
        });
        for (const [index, guildId] of guildIds.entries()) await app.services.predict(guildId, shares[index]![0]!, 5);
        const random = seededRandom(20_250_301);
        const plan = planOrdinaryLoad(options.interactions, guildIds, shares, random);
        const abusers = Array.from({ length: options.abusers }, (_, index): Abuser => {
          const guild = index % guildIds.length;
          const share = shares[guild]!;
          return { guildId: guildIds[guild]!, userId: snowflake(), text: share[Math.floor(random() * share.length)]!.split(/\s+/).slice(0, 4).join(' ') };
        });
        progress(`flood: ${options.abusers} members flood /explain and /generate while ${options.interactions} interactions run, ${options.concurrency} at a time, and server 1 retrains on ${retrainCorpus.length} sentences`);
        const rss = sampleRss();
        const loopDelay = measureLoopDelay();
        const result = driver.next('result');
        driver.send({ type: 'load', plan, concurrency: options.concurrency, abusers, gapMs: options.gapMs });
        const driven = (await result).result;
        const delay = loopDelay.stop();
        return report({ options, driven, delay, peakRssMb: rss.stop(), logs: readLog(logFile), retrainOverlapped: !retrainEnded, loadBefore });
      } finally {
        await bot.stop();
      }
    } finally {
      await app.close();
    }
  } finally {
    const stopped = driver.next('stopped').catch(() => undefined);
    driver.send({ type: 'stop' });
    await stopped;
    await driver.terminate();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The ordinary interactions in a fixed pseudo-random order: exact shares of each kind. */
interface ReportInput {
  options: FloodOptions;
  driven: DriverResult;
  delay: LoopDelay;
  peakRssMb: number;
  logs: ReturnType<typeof readLog>;
  retrainOverlapped: boolean;
  loadBefore: number;
}

function report(input: ReportInput): PartReport {
  const { options, driven, delay } = input;
  const acknowledged = driven.measured.filter((m) => m.firstMs !== null && m.firstMs <= DEADLINE_MS).length;
  const kinds: Kind[] = [...ORDINARY_KINDS, ...ABUSE_KINDS];
  const byKind = Object.fromEntries(
    kinds.map((kind) => {
      const ofKind = driven.measured.filter((m) => m.kind === kind);
      const outcomes = Object.fromEntries((['answered', 'refused', 'busy', 'failed', 'unanswered'] as const).map((outcome) => [outcome, ofKind.filter((m) => m.outcome === outcome).length]));
      return [
        kind,
        {
          first: latency(ofKind.flatMap((m) => (m.firstMs === null ? [] : [m.firstMs]))),
          final: latency(ofKind.flatMap((m) => (m.finalMs === null || m.outcome !== 'answered' ? [] : [m.finalMs]))),
          outcomes,
        },
      ];
    }),
  ) as Record<Kind, { first: LatencyFigures; final: LatencyFigures; outcomes: Record<Outcome, number> }>;
  const missed: string[] = [];
  if (acknowledged < driven.measured.length) missed.push(`flood: ${driven.measured.length - acknowledged} of ${driven.measured.length} interactions not acknowledged within ${DEADLINE_MS / 1000} s`);
  if (!(delay.p99 < LOOP_DELAY_TARGET_MS)) missed.push(`flood: event-loop delay p99 ${delay.p99} ms, target < ${LOOP_DELAY_TARGET_MS} ms`);
  const result = {
    loadAverageBefore: input.loadBefore,
    loadAverageAfter: loadAverage(),
    corpus: options.corpusName,
    abusers: options.abusers,
    gapMs: options.gapMs,
    interactions: driven.measured.length,
    acknowledgedWithinDeadline: acknowledged,
    byKind,
    wallSeconds: round(driven.wallMs / 1000, 2),
    eventLoopDelayMs: delay,
    peakRssMb: round(input.peakRssMb, 1),
    retrainStillRunningAtEnd: input.retrainOverlapped,
    refusedResponses: driven.refusedStatuses,
    botLog: input.logs,
  };
  const outcomeCell = (outcomes: Record<Outcome, number>) =>
    (Object.entries(outcomes) as [Outcome, number][]).filter(([, count]) => count > 0).map(([outcome, count]) => `${count} ${outcome}`).join(', ');
  const rows = kinds.map((kind) => {
    const figures = byKind[kind];
    return [kind, String(figures.first.count), `${figures.first.p50Ms} / ${figures.first.p99Ms} / ${figures.first.maxMs}`, `${figures.final.p50Ms} / ${figures.final.p99Ms} / ${figures.final.maxMs}`, outcomeCell(figures.outcomes)];
  });
  const text = [
    `flood: ${options.abusers} members sending /explain and /generate length:50 (next command on acknowledgement, at least ${options.gapMs} ms apart), ${options.interactions} ordinary interactions at concurrency ${options.concurrency} over ${options.guilds} servers, server 1 retraining (${options.corpusName})`,
    `load average ${result.loadAverageBefore} before, ${result.loadAverageAfter} after; ${result.wallSeconds} s`,
    '',
    markdownTable(['kind', 'sent', 'acknowledgement p50 / p99 / max (ms)', 'answer p50 / p99 / max (ms)', 'outcomes'], rows),
    '',
    `acknowledged within ${DEADLINE_MS / 1000} s: ${acknowledged} of ${result.interactions} (target: all)`,
    `bot event-loop delay: p50 ${delay.p50} ms, p99 ${delay.p99} ms (target < ${LOOP_DELAY_TARGET_MS}), max ${delay.max} ms`,
    `peak RSS ${result.peakRssMb} MB; retrain ${input.retrainOverlapped ? 'still running at the end' : 'finished during the load'}`,
    `bot log: ${input.logs.warnings} warnings, ${input.logs.errors} errors${Object.keys(driven.refusedStatuses).length > 0 ? `; refused responses ${JSON.stringify(driven.refusedStatuses)}` : ''}`,
  ].join('\n');
  return { result, text, missed };
}

// ------------------------------------------------------------------ the driver thread

/** The ordinary load with `concurrency` in flight, and every abusing member until it ends. */
async function drive(fake: FakeDiscord, load: Extract<ToDriver, { type: 'load' }>): Promise<DriverResult> {
  const firstRequest = fake.requests.length;
  const measured: Promise<Measured>[] = [];
  let nextIndex = 0;
  let normalDone = false;
  const started = performance.now();
  const lane = async () => {
    while (nextIndex < load.plan.length) {
      const planned = load.plan[nextIndex++]!;
      const handle = send(fake, planned.kind, planned);
      const answer = watch(fake, planned.kind, handle);
      measured.push(answer);
      await answer;
    }
  };
  const abuse = async (abuser: Abuser) => {
    for (let turn = 0; !normalDone; turn += 1) {
      const kind = ABUSE_KINDS[turn % ABUSE_KINDS.length]!;
      const sentAt = performance.now();
      const handle = send(fake, kind, abuser);
      measured.push(watch(fake, kind, handle));
      await fake.waitFor(handle, () => true, ANSWER_TIMEOUT_MS).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, sentAt + load.gapMs - performance.now())));
    }
  };
  const abusing = load.abusers.map(abuse);
  await Promise.all(Array.from({ length: Math.min(load.concurrency, load.plan.length) }, lane));
  normalDone = true;
  await Promise.all(abusing);
  const results = await Promise.all(measured);
  const wallMs = performance.now() - started;
  const refusedStatuses: Record<string, number> = {};
  for (const request of fake.requests.slice(firstRequest)) {
    if (request.status >= 400) refusedStatuses[request.status] = (refusedStatuses[request.status] ?? 0) + 1;
  }
  return { measured: results, wallMs, refusedStatuses };
}

function send(fake: FakeDiscord, kind: Kind, member: { guildId: string; userId: string; text: string }): InteractionHandle {
  const common = { applicationId: fake.applicationId, guildId: member.guildId, user: { id: member.userId }, permissions: MEMBER_PERMISSIONS };
  switch (kind) {
    case 'autocomplete':
      return fake.sendInteraction(autocomplete({ ...common, name: 'predict', options: { text: member.text }, focused: 'text' }));
    case 'predict':
      return fake.sendInteraction(slashCommand({ ...common, name: 'predict', options: { text: member.text } }));
    case 'teach':
      return fake.sendInteraction(slashCommand({ ...common, name: 'teach', options: { sentence: member.text } }));
    case 'explain':
      return fake.sendInteraction(slashCommand({ ...common, name: 'explain', options: { text: member.text } }));
    case 'generate':
      return fake.sendInteraction(slashCommand({ ...common, name: 'generate', options: { start: member.text, length: 50 } }));
  }
}

/** Waits for the interaction's answer and says what it was. */
async function watch(fake: FakeDiscord, kind: Kind, handle: InteractionHandle): Promise<Measured> {
  const deferred = (): boolean => handle.responses[0]?.body.type === 5;
  const final = await fake
    .waitFor(handle, (response) => (response.kind === 'callback' && !deferred()) || response.kind === 'edit', ANSWER_TIMEOUT_MS)
    .catch(() => null);
  const first = handle.responses[0];
  if (final === null) return { kind, firstMs: first?.atMs ?? null, finalMs: null, outcome: 'unanswered' };
  const content = final.body.content ?? final.body.data?.content ?? '';
  const outcome: Outcome = /very often/.test(content)
    ? 'refused'
    : /busy with other members/.test(content)
      ? 'busy'
      : /Something went wrong/.test(content)
        ? 'failed'
        : 'answered';
  return { kind, firstMs: first?.atMs ?? null, finalMs: final.atMs, outcome };
}

if (!isMainThread && (workerData as Partial<DriverData> | null)?.role === DRIVER_ROLE && parentPort !== null) {
  await serveFakeDiscord((workerData as DriverData).guildIds, parentPort, drive);
}
