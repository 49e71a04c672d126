/**
 * Scenario `discord-load`: the bot under a burst of members. 1,000 interactions (70% `/predict`,
 * 20% `/predict` autocomplete, 10% `/teach`) at concurrency 50 over 5 servers, while one of the
 * servers retrains from scratch in its worker thread.
 *
 * The bot runs in this process, wired exactly as `npm start` wires it (`createApp` with the
 * schedule, then `startBot`), so `perf_hooks.monitorEventLoopDelay` sees its event loop. The
 * loopback fake Discord and the load generator run in a worker thread of their own, so their work
 * does not show up as the bot's event-loop delay (they still share the machine's cores). Latency
 * is measured by the fake: from dispatching INTERACTION_CREATE to the first response (the reply,
 * the deferral or the autocomplete result), and for `/predict` also to its edit with the answer.
 * Discord refuses acknowledgements later than 3 s; the fake does too, so a late one is a miss.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { snowflake } from '../../test/support/interactions.ts';
import { integerOption } from '../lib/args.ts';
import { DEFAULT_CORPUS, displayPath, numberedCopies, readCorpus } from '../lib/corpus.ts';
import { drive, type DriverResult } from '../lib/drive.ts';
import { serveFakeDiscord, startDriverThread, type FakeDiscordDriverMessage } from '../lib/driver-thread.ts';
import { markdownTable, round, whole } from '../lib/format.ts';
import {
  DEADLINE_MS,
  idleLoopDelay,
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
} from '../lib/load.ts';
import { seededRandom } from '../../test/support/seeded-random.ts';
import { describeMachine, loadAverage, machineLine } from '../lib/machine.ts';
import { sampleRss } from '../lib/memory.ts';
import { defineScenario, UsageError } from '../lib/scenario.ts';

const DRIVER_ROLE = 'discord-load-driver';
/** discord.js's own global REST limit, which also throttles the webhook edits of deferred replies. */
const DISCORD_JS_GLOBAL_RPS = 50;
/** How long the idle event loop is measured before the load. */
const IDLE_BASELINE_MS = 2000;

type ToDriver = { type: 'load'; plan: PlannedInteraction[]; concurrency: number } | { type: 'stop' };
type FromDriver = FakeDiscordDriverMessage<DriverResult>;

interface DriverData {
  role: typeof DRIVER_ROLE;
  guildIds: string[];
}

export default defineScenario({
  summary: '1,000 interactions (70% /predict, 20% autocomplete, 10% /teach) at concurrency 50 over 5 servers while one retrains: latency, throughput, event-loop delay, RSS',
  usage: `  --interactions N   interactions in the load (default 1000)
  --concurrency N    interactions in flight at once (default 50)
  --guilds N         servers, each with its share of the corpus and its own model (default 5)
  --corpus FILE      one sentence per line, dealt round-robin to the servers (default: the bundled
                     data/sample-corpus.txt)
  --retrain-sentences N
                     sentences server 1 retrains on from scratch during the load: the corpus, then
                     numbered copies of it, so that the run outlasts the load (default 3000)
  --rest-rps N       discord.js's global REST limit in requests per second (default 1000; discord.js
                     uses ${DISCORD_JS_GLOBAL_RPS}, which throttles the edits of deferred replies; interaction
                     endpoints are not subject to Discord's global limit)`,
  options: {
    interactions: { type: 'string' },
    concurrency: { type: 'string' },
    guilds: { type: 'string' },
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    'rest-rps': { type: 'string' },
    'retrain-sentences': { type: 'string' },
  },

  async run(values) {
    const interactions = integerOption(values.interactions, 'interactions', 1000);
    const concurrency = integerOption(values.concurrency, 'concurrency', 50);
    const guildCount = integerOption(values.guilds, 'guilds', 5);
    const restRps = integerOption(values['rest-rps'], 'rest-rps', 1000);
    const retrainSentences = integerOption(values['retrain-sentences'], 'retrain-sentences', 3000);
    const corpus = readCorpus(values.corpus);
    if (corpus.length < guildCount * 5) throw new UsageError(`--corpus needs at least ${guildCount * 5} sentences for ${guildCount} servers`);
    return runLoad({ interactions, concurrency, guildCount, restRps, corpus, retrainSentences, corpusName: displayPath(values.corpus) });
  },
});

interface LoadOptions {
  interactions: number;
  concurrency: number;
  guildCount: number;
  restRps: number;
  corpus: string[];
  retrainSentences: number;
  corpusName: string;
}

async function runLoad(options: LoadOptions) {
  // The product's modules load tfjs: imported here so that listing the scenarios stays cheap.
  const { createApp } = await import('../../src/app/create-app.ts');
  const { importLines } = await import('../../src/app/corpus-import.ts');
  const { loadConfig, requireDiscordCredentials } = await import('../../src/config.ts');
  const { startBot } = await import('../../src/discord/bot.ts');
  const { createLogger } = await import('../../src/log.ts');

  const loadBefore = loadAverage();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-discord-load-'));
  const guildIds = Array.from({ length: options.guildCount }, () => snowflake());
  const shares = guildIds.map((_, index) => options.corpus.filter((__, line) => line % guildIds.length === index));
  const driver = startDriver({ role: DRIVER_ROLE, guildIds });
  try {
    const fake = await driver.listening;
    // An explicit environment: a developer's .env or shell must not change the figures.
    const config = requireDiscordCredentials(loadConfig({
      DISCORD_TOKEN: fake.token,
      DISCORD_CLIENT_ID: fake.applicationId,
      DISCORD_API_URL: fake.apiUrl,
      DB_PATH: path.join(dir, 'bot.sqlite'),
      LOG_LEVEL: 'warn',
      // Only the retrain this scenario starts trains during the load.
      RETRAIN_INTERVAL_MINUTES: '600',
      RETRAIN_MIN_CHANGES: '100000',
    }));
    const logFile = path.join(dir, 'bot.log');
    const logger = createLogger({ level: config.logLevel, destination: { file: logFile } });
    const app = await createApp(config, logger, { schedule: true });
    try {
      progress(`training the first model of ${guildIds.length} servers (${shares.map((share) => share.length).join(', ')} sentences)`);
      for (const [index, guildId] of guildIds.entries()) {
        importLines(app.store, guildId, shares[index]!, { authorId: 'bench', source: 'import' });
        const result = await app.training.requestRetrain(guildId, { full: true, requestedBy: 'bench' }).done;
        if (result.status !== 'succeeded') throw new Error(`the first model of server ${index + 1} could not be trained: ${JSON.stringify(result)}`);
      }
      const bot = await startBot(config, app.services, logger);
      try {
        bot.client.rest.options.globalRequestsPerSecond = options.restRps;
        const retraining = guildIds[0]!;
        const retrainCorpus = numberedCopies(options.corpus, options.retrainSentences);
        importLines(app.store, retraining, retrainCorpus, { authorId: 'bench', source: 'import' });
        // Straight to the training service: a member's /retrain full:true waits out the interval between full retrains.
        const retrain = app.training.requestRetrain(retraining, { full: true, requestedBy: 'bench' });
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
        // A bot that has run for a while has its servers' models in memory.
        for (const guildId of guildIds) await app.services.predict(guildId, shares[guildIds.indexOf(guildId)]![0]!, 5);
        progress(`server 1 retrains on ${retrainCorpus.length} sentences; measuring the idle event loop, then sending ${options.interactions} interactions, ${options.concurrency} at a time`);
        const idleDelay = await idleLoopDelay(IDLE_BASELINE_MS);

        const plan = planOrdinaryLoad(options.interactions, guildIds, shares, seededRandom(20_240_611));
        const rss = sampleRss();
        const rssBefore = process.memoryUsage.rss() / 2 ** 20;
        const cpuBefore = process.cpuUsage();
        const loopDelay = measureLoopDelay();
        const driven = await driver.load(plan, options.concurrency);
        const loopDelayFigures = loopDelay.stop();
        const cpu = process.cpuUsage(cpuBefore);
        const peakRssMb = rss.stop();
        const retrainOverlapped = !retrainEnded;
        const retrainProgress = retrain.progress();
        const logs = readLog(logFile);
        return report({
          options,
          plan,
          driven,
          loopDelay: loopDelayFigures,
          memory: { beforeMb: rssBefore, peakMb: peakRssMb },
          cpuSeconds: (cpu.user + cpu.system) / 1e6,
          idleDelay,
          retrain: {
            sentences: retrainCorpus.length,
            stillTrainingAtEnd: retrainOverlapped,
            epochAtEnd: retrainProgress?.epoch ?? null,
            maxEpochs: retrainProgress?.maxEpochs ?? null,
          },
          logs,
          backend: app.backend,
          loadBefore,
        });
      } finally {
        await bot.stop();
      }
    } finally {
      await app.close();
    }
  } finally {
    await driver.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The interactions in a fixed pseudo-random order: exact shares of each kind, servers at random. */
interface ReportInput {
  options: LoadOptions;
  plan: PlannedInteraction[];
  driven: DriverResult;
  loopDelay: LoopDelay;
  memory: { beforeMb: number; peakMb: number };
  cpuSeconds: number;
  idleDelay: LoopDelay;
  retrain: { sentences: number; stillTrainingAtEnd: boolean; epochAtEnd: number | null; maxEpochs: number | null };
  logs: ReturnType<typeof readLog>;
  backend: string;
  loadBefore: number;
}

function report(input: ReportInput) {
  const { options, driven, loopDelay } = input;
  const answered = driven.measured.filter((m) => m.firstMs !== null);
  const firsts = answered.map((m) => m.firstMs!);
  const withinDeadline = firsts.filter((ms) => ms <= DEADLINE_MS).length;
  const byKind = Object.fromEntries(
    ORDINARY_KINDS.map((kind) => {
      const ofKind = driven.measured.filter((m) => m.kind === kind);
      return [
        kind,
        {
          first: latency(ofKind.flatMap((m) => (m.firstMs === null ? [] : [m.firstMs]))),
          final: latency(ofKind.flatMap((m) => (m.finalMs === null ? [] : [m.finalMs]))),
          useful: ofKind.filter((m) => m.useful).length,
        },
      ];
    }),
  ) as Record<OrdinaryKind, { first: LatencyFigures; final: LatencyFigures; useful: number }>;
  const result = {
    machine: describeMachine(input.backend as Parameters<typeof describeMachine>[0]),
    loadAverageBefore: input.loadBefore,
    loadAverageAfter: loadAverage(),
    corpus: options.corpusName,
    interactions: driven.measured.length,
    concurrency: options.concurrency,
    guilds: options.guildCount,
    restGlobalRequestsPerSecond: options.restRps,
    acknowledgedWithinDeadline: withinDeadline,
    unanswered: driven.measured.length - answered.length,
    firstResponse: latency(firsts),
    byKind,
    wallSeconds: round(driven.wallMs / 1000, 2),
    throughputPerSecond: round(driven.measured.length / (driven.wallMs / 1000), 1),
    eventLoopDelayMs: loopDelay,
    idleEventLoopDelayMs: input.idleDelay,
    rssMb: { before: round(input.memory.beforeMb, 1), peak: round(input.memory.peakMb, 1) },
    cpuSecondsAllThreads: round(input.cpuSeconds, 2),
    retrain: input.retrain,
    refusedResponses: driven.refusedStatuses,
    botLog: input.logs,
  };
  const rows = ORDINARY_KINDS.map((kind) => {
    const figures = byKind[kind];
    return [
      kind,
      String(figures.first.count),
      `${figures.first.p50Ms} / ${figures.first.p99Ms} / ${figures.first.maxMs}`,
      kind === 'predict' ? `${figures.final.p50Ms} / ${figures.final.p99Ms} / ${figures.final.maxMs}` : 'same',
      String(figures.useful),
    ];
  });
  const text = [
    `Discord load: ${result.interactions} interactions, ${options.concurrency} in flight, ${options.guildCount} servers, one retraining (${options.corpusName})`,
    `machine: ${machineLine(result.machine)}; load average ${result.loadAverageBefore} before, ${result.loadAverageAfter} after`,
    `discord.js global REST limit: ${options.restRps} requests/s (discord.js default ${DISCORD_JS_GLOBAL_RPS})`,
    '',
    markdownTable(['kind', 'answered', 'first response p50 / p99 / max (ms)', 'answer p50 / p99 / max (ms)', 'with a result'], rows),
    '',
    `acknowledged within ${DEADLINE_MS / 1000} s: ${withinDeadline} of ${result.interactions} (unanswered: ${result.unanswered})`,
    `first response, all kinds: p50 ${result.firstResponse.p50Ms} ms, p99 ${result.firstResponse.p99Ms} ms, max ${result.firstResponse.maxMs} ms`,
    `throughput: ${result.throughputPerSecond} interactions/s over ${result.wallSeconds} s`,
    `bot event-loop delay: p50 ${result.eventLoopDelayMs.p50} ms, p99 ${result.eventLoopDelayMs.p99} ms, max ${result.eventLoopDelayMs.max} ms (idle, retrain running, before the load: p50 ${input.idleDelay.p50} ms, p99 ${input.idleDelay.p99} ms)`,
    `RSS (whole process: bot, training worker, fake): ${result.rssMb.before} MB before, peak ${result.rssMb.peak} MB; CPU ${result.cpuSecondsAllThreads} s`,
    `retrain of server 1 on ${whole(input.retrain.sentences)} sentences: ${input.retrain.stillTrainingAtEnd ? `still training at the end (epoch ${input.retrain.epochAtEnd}/${input.retrain.maxEpochs})` : 'finished before the load ended'}`,
    `bot log: ${input.logs.warnings} warnings, ${input.logs.errors} errors${Object.keys(driven.refusedStatuses).length > 0 ? `; refused responses ${JSON.stringify(driven.refusedStatuses)}` : ''}`,
  ].join('\n');
  return { result, text };
}

// ------------------------------------------------------------------ the driver thread

/** The driver thread, seen from the bot's side. */
interface DriverHandle {
  listening: Promise<{ apiUrl: string; token: string; applicationId: string }>;
  load(plan: PlannedInteraction[], concurrency: number): Promise<DriverResult>;
  stop(): Promise<void>;
}

/** Starts the fake Discord and the load generator in a worker thread running this module. */
function startDriver(data: DriverData): DriverHandle {
  const thread = startDriverThread<ToDriver, FromDriver>(new URL(import.meta.url), data);
  return {
    listening: thread.next('listening'),
    async load(plan, concurrency) {
      const result = thread.next('result');
      thread.send({ type: 'load', plan, concurrency });
      return (await result).result;
    },
    async stop() {
      const stopped = thread.next('stopped').catch(() => undefined);
      thread.send({ type: 'stop' });
      await stopped;
      await thread.terminate();
    },
  };
}

if (!isMainThread && (workerData as Partial<DriverData> | null)?.role === DRIVER_ROLE && parentPort !== null) {
  await serveFakeDiscord((workerData as DriverData).guildIds, parentPort, (fake, load: Extract<ToDriver, { type: 'load' }>) =>
    drive(fake, load.plan, load.concurrency),
  );
}
