/**
 * Scenario `abuse`: members trying to stall the bot, exhaust its memory or starve other servers.
 * The scenario is made of parts, each measuring one target of its own on the bot as `npm start`
 * wires it (`createApp`), printing its figures and saying whether its target was met; the command
 * exits with code 1 when a part missed its target. `--part NAME` (repeatable) runs only the named
 * parts, all of them by default.
 *
 * Parts:
 * - `queue`: servers queued for their first model, one after the other, while another server
 *   teaches 4 sentences and forgets 1 every minute. Target: the median queued server has its model
 *   within 2 × its own training time (from its request to its model, against its run's duration).
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app/create-app.ts';
import type { RunHandle } from '../../src/app/services.ts';
import { integerOption, positiveNumberOption } from '../lib/args.ts';
import { DEFAULT_CORPUS, displayPath, numberedCopies, readCorpus } from '../lib/corpus.ts';
import { markdownTable, round } from '../lib/format.ts';
import { describeMachine, loadAverage, machineLine } from '../lib/machine.ts';
import { defineScenario, UsageError, type OptionSpec } from '../lib/scenario.ts';
import { percentile } from '../lib/stats.ts';

/** A target of a part, and whether the run met it. */
interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** What a part hands back: its figures, their summary, and its targets. */
interface PartReport {
  result: Record<string, unknown>;
  text: string;
  targets: TargetCheck[];
}

/** One part of the scenario; its options join the scenario's (names must not clash). */
interface AbusePart {
  name: string;
  usage: string;
  options: OptionSpec;
  run(values: Record<string, unknown>): Promise<PartReport>;
}

/** The guild id of the server that teaches and forgets all the time. */
const ABUSER = 'abuser';
const ABUSE_PERIOD_MS = 60_000;
const TAUGHT_PER_PERIOD = 4;
const FORGOTTEN_PER_PERIOD = 1;
/** The `queue` part's target: a queued server's wait plus training, against its training alone. */
const QUEUE_TARGET_RATIO = 2;

const queuePart: AbusePart = {
  name: 'queue',
  usage: `  queue: servers queued for a first model while one server teaches 4 / forgets 1 sentence a minute
  --servers N             servers that ask for their first model (default 50)
  --arrival-seconds S     seconds between two servers' requests (default 15)
  --server-sentences A-B  sentences of each server, spread over this range (default 60-240)
  --abuser-sentences N    sentences of the abusing server before it starts (default 3000)
  --corpus FILE           one sentence per line, dealt to the servers and, numbered, to the abuser
                          (default: the bundled data/sample-corpus.txt)`,
  options: {
    servers: { type: 'string' },
    'arrival-seconds': { type: 'string' },
    'server-sentences': { type: 'string' },
    'abuser-sentences': { type: 'string' },
    corpus: { type: 'string', default: DEFAULT_CORPUS },
  },
  async run(values) {
    const servers = integerOption(values.servers as string | undefined, 'servers', 50);
    const arrivalSeconds = positiveNumberOption(values['arrival-seconds'] as string | undefined, 'arrival-seconds', 15);
    const [smallest, largest] = sentenceRange(values['server-sentences'] as string | undefined);
    const abuserSentences = integerOption(values['abuser-sentences'] as string | undefined, 'abuser-sentences', 3000);
    const corpusFile = values.corpus as string;
    return runQueue({ servers, arrivalSeconds, smallest, largest, abuserSentences, corpus: readCorpus(corpusFile), corpusName: displayPath(corpusFile) });
  },
};

/** Every part, in the order they run. */
const PARTS: readonly AbusePart[] = [queuePart];

export default defineScenario({
  summary: 'members abusing the bot: servers queued beside one that teaches and forgets every minute (more parts to come); exits 1 when a target is missed',
  usage: `  --part NAME        run only this part (repeatable; default: all of ${PARTS.map((part) => part.name).join(', ')})\n${PARTS.map((part) => part.usage).join('\n')}`,
  options: Object.assign({ part: { type: 'string', multiple: true } } satisfies OptionSpec, ...PARTS.map((part) => part.options)) as OptionSpec,

  async run(values) {
    const chosen = (values.part as string[] | undefined) ?? PARTS.map((part) => part.name);
    const unknown = chosen.filter((name) => !PARTS.some((part) => part.name === name));
    if (unknown.length > 0) throw new UsageError(`--part must be one of ${PARTS.map((part) => part.name).join(', ')}, got '${unknown.join("', '")}'`);
    const result: Record<string, unknown> = {};
    const texts: string[] = [];
    let missedTarget = false;
    for (const part of PARTS.filter((candidate) => chosen.includes(candidate.name))) {
      const report = await part.run(values);
      result[part.name] = { ...report.result, targets: report.targets };
      const verdicts = report.targets.map((check) => `- ${check.met ? 'met' : 'MISSED'}: ${check.target} (measured: ${check.measured})`);
      texts.push(`## ${part.name}\n\n${report.text}\n\n${verdicts.join('\n')}`);
      missedTarget ||= report.targets.some((check) => !check.met);
    }
    return { result, text: texts.join('\n\n'), missedTarget };
  },
});

function sentenceRange(value: string | undefined): [number, number] {
  if (value === undefined) return [60, 240];
  const match = /^(\d+)-(\d+)$/.exec(value);
  const range = match === null ? null : ([Number(match[1]), Number(match[2])] as [number, number]);
  if (range === null || range[0] < 5 || range[1] < range[0]) throw new UsageError(`--server-sentences must be A-B with 5 <= A <= B, got '${value}'`);
  return range;
}

interface QueueOptions {
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

async function runQueue(options: QueueOptions): Promise<PartReport> {
  // The product's modules load tfjs: imported here so that listing the scenarios stays cheap.
  const { createApp } = await import('../../src/app/create-app.ts');
  const { importLines } = await import('../../src/app/corpus-import.ts');
  const { loadConfig } = await import('../../src/config.ts');
  const { createLogger } = await import('../../src/log.ts');

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
    progress(`training the abusing server's first model on ${options.abuserSentences} sentences`);
    importLines(app.store, ABUSER, sentences.slice(0, options.abuserSentences), { authorId: ABUSER, source: 'import' });
    const abuserFirst = await app.training.requestRetrain(ABUSER, { full: true, requestedBy: 'bench' }).done;
    if (abuserFirst.status !== 'succeeded') throw new Error(`the abusing server's first model failed: ${JSON.stringify(abuserFirst)}`);

    progress(`${options.servers} servers ask for their first model, one every ${options.arrivalSeconds} s, while the abuser teaches ${TAUGHT_PER_PERIOD} and forgets ${FORGOTTEN_PER_PERIOD} every minute`);
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
      backend: app.backend,
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
  backend: string;
  loadBefore: number;
}

function queueReport(figures: QueueFigures): PartReport {
  const { options, runs, abuser } = figures;
  const machine = { ...describeMachine(figures.backend as Parameters<typeof describeMachine>[0]), loadAverage1m: figures.loadBefore };
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
  const text = [
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
    `Models: ${succeeded} of ${runs.length}. The abuser's runs meanwhile: ${abuserCount('incremental')} incremental (${abuserSeconds('incremental')} s), ${abuserCount('full')} full (${abuserSeconds('full')} s).`,
    `Machine: ${machineLine(machine)} before, ${loadAfter} after.`,
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
      machine,
      loadAverageAfter: loadAfter,
    },
    text,
    targets: [
      {
        target: `the median queued server has its model within ${QUEUE_TARGET_RATIO} × its own training time`,
        measured: `${round(medianRatio, 2)} ×`,
        met: medianRatio <= QUEUE_TARGET_RATIO,
      },
      { target: 'every queued server gets its model', measured: `${succeeded} of ${runs.length}`, met: succeeded === runs.length },
    ],
  };
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function sleepUntil(time: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
}
