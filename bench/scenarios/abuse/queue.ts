/**
 * Part `queue` of scenario `abuse`: servers queued for their first model, one after the other,
 * while another server teaches 4 sentences and forgets 1 every minute through the use cases members
 * reach, with the schedule looking every minute. Target: the median queued server has its model
 * within 2 × its own training time (from its request to its model, against its run's duration),
 * and every queued server gets one.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../../src/app/create-app.ts';
import type { RunHandle } from '../../../src/app/services.ts';
import { numberedCopies } from '../../lib/corpus.ts';
import { markdownTable, round } from '../../lib/format.ts';
import { progress } from '../../lib/load.ts';
import { loadAverage } from '../../lib/machine.ts';
import { UsageError } from '../../lib/scenario.ts';
import { percentile } from '../../lib/stats.ts';
import type { PartReport } from './part.ts';

/** The guild id of the server that teaches and forgets all the time. */
const ABUSER = 'abuser';
const ABUSE_PERIOD_MS = 60_000;
const TAUGHT_PER_PERIOD = 4;
const FORGOTTEN_PER_PERIOD = 1;
/** The `queue` part's target: a queued server's wait plus training, against its training alone. */
const QUEUE_TARGET_RATIO = 2;

/** `--server-sentences A-B`: the smallest and largest server, in sentences. */
export function sentenceRange(value: string | undefined): [number, number] {
  if (value === undefined) return [60, 240];
  const match = /^(\d+)-(\d+)$/.exec(value);
  const range = match === null ? null : ([Number(match[1]), Number(match[2])] as [number, number]);
  if (range === null || range[0] < 5 || range[1] < range[0]) throw new UsageError(`--server-sentences must be A-B with 5 <= A <= B, got '${value}'`);
  return range;
}

/** Options of {@link runQueue}. */
export interface QueueOptions {
  servers: number;
  arrivalSeconds: number;
  smallest: number;
  largest: number;
  abuserSentences: number;
  corpus: string[];
  corpusName: string;
}

/** One queued server's run, in seconds. */
interface ServerRun {
  guildId: string;
  sentences: number;
  status: string;
  waitSeconds: number;
  trainingSeconds: number;
  /** (wait + training) / training. */
  ratio: number;
}

/** Runs the part; see the module description. */
export async function runQueue(options: QueueOptions): Promise<PartReport> {
  // The product's modules load tfjs: imported here so that listing the scenarios stays cheap.
  const { createApp } = await import('../../../src/app/create-app.ts');
  const { importLines } = await import('../../../src/app/corpus-import.ts');
  const { loadConfig } = await import('../../../src/config.ts');
  const { createLogger } = await import('../../../src/log.ts');

  const loadBefore = loadAverage();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-abuse-'));
  // An explicit environment: a developer's .env or shell must not change the figures. The schedule
  // looks every minute, so the abuser is due at every look.
  const config = loadConfig({
    DB_PATH: path.join(dir, 'bot.sqlite'),
    LOG_LEVEL: 'warn',
    RETRAIN_INTERVAL_MINUTES: '1',
    RETRAIN_MIN_CHANGES: '5',
    TRAINING_CONCURRENCY: '1',
  });
  const logger = createLogger({ level: config.logLevel, destination: { file: path.join(dir, 'bot.log') } });
  const app = await createApp(config, logger, { schedule: true });
  try {
    const sentences = numberedCopies(options.corpus, options.abuserSentences + options.servers * options.largest);
    progress(`queue: training the abusing server's first model on ${options.abuserSentences} sentences`);
    importLines(app.store, ABUSER, sentences.slice(0, options.abuserSentences), { authorId: ABUSER, source: 'import' });
    const abuserFirst = await app.training.requestRetrain(ABUSER, { full: true, requestedBy: 'bench' }).done;
    if (abuserFirst.status !== 'succeeded') throw new Error(`the abusing server's first model failed: ${JSON.stringify(abuserFirst)}`);

    progress(`queue: ${options.servers} servers ask for their first model, one every ${options.arrivalSeconds} s, while the abuser teaches ${TAUGHT_PER_PERIOD} and forgets ${FORGOTTEN_PER_PERIOD} every minute`);
    const measureStart = Date.now();
    const abuse = startAbuse(app, sentences.slice(0, options.abuserSentences));
    const requests: { guildId: string; sentences: number; handle: RunHandle }[] = [];
    let offset = options.abuserSentences;
    try {
      for (let index = 0; index < options.servers; index += 1) {
        await sleepUntil(measureStart + index * options.arrivalSeconds * 1000);
        const guildId = `server-${index + 1}`;
        // Sizes spread evenly over the range, in a shuffled order.
        const size = options.smallest + Math.round(((index * 37) % options.servers) / Math.max(1, options.servers - 1) * (options.largest - options.smallest));
        importLines(app.store, guildId, sentences.slice(offset, offset + size), { authorId: 'members', source: 'import' });
        offset += size;
        const outcome = app.services.retrain(guildId, { full: false, requestedBy: 'moderator' });
        if (outcome.status !== 'started') throw new Error(`server ${guildId} could not queue its first model`);
        requests.push({ guildId, sentences: size, handle: outcome.handle });
      }
      await Promise.all(requests.map((request) => request.handle.done));
    } finally {
      abuse.stop();
    }
    const measuredSeconds = (Date.now() - measureStart) / 1000;
    const runs = requests.map(({ guildId, sentences: count, handle }) => serverRun(app, guildId, count, handle.runId));
    const abuserRuns = app.store.latestRuns(ABUSER, 1000).filter((run) => run.createdAt >= measureStart && run.startedAt !== null && run.finishedAt !== null);
    return queueReport({
      options,
      runs,
      abuser: {
        firstModelSeconds: abuserFirst.seconds,
        taught: abuse.taught(),
        forgotten: abuse.forgotten(),
        runs: abuserRuns.map((run) => ({ kind: run.kind, status: run.status, seconds: (run.finishedAt! - run.startedAt!) / 1000 })),
      },
      measuredSeconds,
      loadBefore,
    });
  } finally {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Teaches and forgets in the abusing server every minute, through the use cases members reach. */
function startAbuse(app: App, pool: readonly string[]) {
  let taught = 0;
  let forgotten = 0;
  const act = async (): Promise<void> => {
    for (let sentence = 0; sentence < TAUGHT_PER_PERIOD; sentence += 1) {
      const text = `${pool[taught % pool.length]!} again ${taught}`;
      const outcome = await app.services.teach({ guildId: ABUSER, channelId: null, authorId: ABUSER, text, source: 'discord' });
      if (outcome.status === 'added') taught += 1;
    }
    for (const entry of app.store.corpusEntries(ABUSER).slice(0, FORGOTTEN_PER_PERIOD)) {
      if (await app.services.forgetSentence(ABUSER, entry.id)) forgotten += 1;
    }
  };
  const tick = (): void => {
    act().catch((error: unknown) => process.stderr.write(`abuse failed: ${String(error)}\n`));
  };
  tick();
  const timer = setInterval(tick, ABUSE_PERIOD_MS);
  return { stop: () => clearInterval(timer), taught: () => taught, forgotten: () => forgotten };
}

function serverRun(app: App, guildId: string, sentences: number, runId: number): ServerRun {
  const run = app.store.getRun(runId);
  if (run?.startedAt == null || run.finishedAt === null) throw new Error(`the run of ${guildId} did not finish`);
  const waitSeconds = (run.startedAt - run.createdAt) / 1000;
  const trainingSeconds = (run.finishedAt - run.startedAt) / 1000;
  return { guildId, sentences, status: run.status, waitSeconds, trainingSeconds, ratio: (waitSeconds + trainingSeconds) / trainingSeconds };
}

interface QueueFigures {
  options: QueueOptions;
  runs: ServerRun[];
  abuser: { firstModelSeconds: number; taught: number; forgotten: number; runs: { kind: string; status: string; seconds: number }[] };
  measuredSeconds: number;
  loadBefore: number;
}

function queueReport(figures: QueueFigures): PartReport {
  const { options, runs, abuser } = figures;
  const loadAfter = loadAverage();
  const ratios = runs.map((run) => run.ratio);
  const medianRatio = percentile(ratios, 50);
  const succeeded = runs.filter((run) => run.status === 'succeeded').length;
  const stats = (values: number[]) => ({ p50: round(percentile(values, 50), 2), p90: round(percentile(values, 90), 2), max: round(Math.max(...values), 2) });
  const wait = stats(runs.map((run) => run.waitSeconds));
  const training = stats(runs.map((run) => run.trainingSeconds));
  const ratio = stats(ratios);
  const abuserSeconds = (kind: string) => round(abuser.runs.filter((run) => run.kind === kind).reduce((sum, run) => sum + run.seconds, 0), 1);
  const abuserCount = (kind: string) => abuser.runs.filter((run) => run.kind === kind).length;
  const cell = (figure: { p50: number; p90: number; max: number }) => `${figure.p50} / ${figure.p90} / ${figure.max}`;
  const missed: string[] = [];
  if (!(medianRatio <= QUEUE_TARGET_RATIO)) missed.push(`queue: the median queued server had its model in ${round(medianRatio, 2)} × its own training time, target ≤ ${QUEUE_TARGET_RATIO} ×`);
  if (succeeded < runs.length) missed.push(`queue: ${runs.length - succeeded} of ${runs.length} queued servers got no model`);
  const text = [
    `queue: servers queued for a first model while one server teaches and forgets every minute`,
    `${options.servers} servers (${options.smallest}-${options.smallest === options.largest ? '' : options.largest} sentences of ${options.corpusName}) each ask for their first model, one every ${options.arrivalSeconds} s, over ${round(figures.measuredSeconds, 0)} s; meanwhile a server of ${options.abuserSentences} sentences (first model: ${round(abuser.firstModelSeconds, 1)} s) taught ${abuser.taught} and forgot ${abuser.forgotten} sentences, ${TAUGHT_PER_PERIOD} and ${FORGOTTEN_PER_PERIOD} every minute, with the schedule looking every minute.`,
    '',
    markdownTable(
      ['queued servers', 'p50 / p90 / max'],
      [
        ['wait in the queue (s)', cell(wait)],
        ['own training (s)', cell(training)],
        ['(wait + training) / training', cell(ratio)],
      ],
    ),
    '',
    `median (wait + training) / training: ${round(medianRatio, 2)} × (target ≤ ${QUEUE_TARGET_RATIO} ×); models: ${succeeded} of ${runs.length} (target: all).`,
    `The abuser's runs meanwhile: ${abuserCount('incremental')} incremental (${abuserSeconds('incremental')} s), ${abuserCount('full')} full (${abuserSeconds('full')} s).`,
    `load average ${figures.loadBefore} before, ${loadAfter} after`,
  ].join('\n');
  return {
    result: {
      servers: options.servers,
      arrivalSeconds: options.arrivalSeconds,
      serverSentences: [options.smallest, options.largest],
      abuserSentences: options.abuserSentences,
      succeeded,
      waitSeconds: wait,
      trainingSeconds: training,
      ratio,
      abuser: { ...abuser, firstModelSeconds: round(abuser.firstModelSeconds, 1), runs: abuser.runs.map((run) => ({ ...run, seconds: round(run.seconds, 1) })) },
      measuredSeconds: round(figures.measuredSeconds, 1),
      loadAverageBefore: figures.loadBefore,
      loadAverageAfter: loadAfter,
    },
    text,
    missed,
  };
}

function sleepUntil(time: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
}
