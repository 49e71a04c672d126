/**
 * Scenario `retrain-100k`: the scale side of background training. A guild with 100,000 sentences
 * gets 500 new ones; the scheduled incremental retrain runs through the real training service and
 * its worker thread while the main thread keeps answering `/predict` through the command layer.
 *
 * Phases:
 * 1. The corpus: real text from `--corpus` files when they hold enough distinct sentences, else a
 *    seeded synthetic corpus (Zipfian vocabulary, word-to-word structure; see
 *    {@link SyntheticCorpus}). Held-out sentences are set aside first and never imported.
 * 2. `importLines` into a fresh guild of a temporary database, then a full training run through
 *    the training service (worker thread), capped at `--full-epochs` epochs (early stopping
 *    still applies): the serving model an incremental run starts from.
 * 3. The new sentences are imported and the app is created as the bot creates it (`createApp`,
 *    product defaults for the schedule and the budget); its schedule finds the guild and queues an
 *    incremental run. Meanwhile `/predict` runs in a loop through `runCommand`, the main thread's
 *    event-loop delay is sampled with `monitorEventLoopDelay`, and the process RSS (worker
 *    included) every 50 ms. A short idle phase before the retrain gives the same figures without
 *    training, for comparison.
 * 4. A full retrain on the same corpus with the same epoch cap as phase 2, timed.
 * 5. Both new models are evaluated on the held-out sentences (`evaluate`: perplexity with each
 *    model's own vocabulary; and the loss on the targets both vocabularies know).
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { importLines } from '../../src/app/corpus-import.ts';
import { createApp, type App, type CreateAppOptions } from '../../src/app/create-app.ts';
import type { RunHandle, RunResult } from '../../src/app/services.ts';
import { createRegistry, runCommand, type CommandRegistry } from '../../src/commands/dispatch.ts';
import { loadCommands } from '../../src/commands/loader.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { ConsoleContext } from '../../src/console/context.ts';
import { initBackend } from '../../src/lm/backend.ts';
import { evaluate } from '../../src/lm/evaluate.ts';
import { unpackModel, type UnpackedModel } from '../../src/lm/model-package.ts';
import { lstmPredictor } from '../../src/lm/predict.ts';
import { Random } from '../../src/lm/random.ts';
import { tokenize } from '../../src/lm/tokenizer.ts';
import { openStore } from '../../src/store/index.ts';
import { readHyperparameters, type Hyperparameters } from '../../src/lm/hyperparameters.ts';
import { readModelMetrics, type ModelMetrics } from '../../src/training/metrics.ts';
import { sharedTargetLosses } from '../../src/training/promotion.ts';
import { integerOption, positiveNumberOption } from '../lib/args.ts';
import { displayPath, holdOutEveryTenth, readCorpus } from '../lib/corpus.ts';
import { markdownTable, percent, round, whole } from '../lib/format.ts';
import { describeMachine, loadAverage, machineLine } from '../lib/machine.ts';
import { sampleRss } from '../lib/memory.ts';
import { throttledProgress } from '../lib/progress.ts';
import { defineScenario, UsageError } from '../lib/scenario.ts';
import { percentile } from '../lib/stats.ts';

const GUILD = '100000000000000001';
/** The issue's targets. */
const REQUIRED = { retrainMinutes: 5, peakRssMb: 1024, perplexityRatio: 1.05, eventLoopP99Ms: 20, predictP99Ms: 50 };
const silentLogger = pino({ level: 'silent' });

export default defineScenario({
  summary: 'incremental retrain of a 100k-sentence guild after 500 new sentences, with /predict served meanwhile, against a full retrain',
  usage: `  --sentences N          sentences of the guild before the retrain (default 100000)
  --new N                sentences added before the retrain (default 500)
  --held-out N           sentences evaluated on, never imported (default 2000; with --corpus: every 10th line)
  --corpus FILE          real text, one sentence per line; repeat to combine files (default: synthetic corpus)
  --full-epochs N        epoch cap of the two full trainings (default 2; early stopping still applies)
  --budget-minutes X     RETRAIN_BUDGET_MINUTES of the incremental run (default: the product's default)
  --predict-every-ms N   pause between two /predict requests (default 50)
  --baseline-seconds N   idle measurement before the retrain (default 5)
  --seed N               seed of the synthetic corpus and of the /predict inputs (default 7)`,
  options: {
    sentences: { type: 'string' },
    new: { type: 'string' },
    'held-out': { type: 'string' },
    corpus: { type: 'string', multiple: true },
    'full-epochs': { type: 'string' },
    'budget-minutes': { type: 'string' },
    'predict-every-ms': { type: 'string' },
    'baseline-seconds': { type: 'string' },
    seed: { type: 'string' },
  },

  async run(values) {
    const sizes = {
      sentences: integerOption(values.sentences, 'sentences', 100_000, 100),
      added: integerOption(values.new, 'new', 500),
      heldOut: integerOption(values['held-out'], 'held-out', 2000),
    };
    const fullEpochs = integerOption(values['full-epochs'], 'full-epochs', 2);
    const predictEveryMs = integerOption(values['predict-every-ms'], 'predict-every-ms', 50, 0);
    const baselineSeconds = integerOption(values['baseline-seconds'], 'baseline-seconds', 5, 0);
    const seed = integerOption(values.seed, 'seed', 7, 0);
    const corpus = values.corpus === undefined ? syntheticCorpus(sizes, seed) : realCorpus(values.corpus, sizes);
    const backend = await initBackend();
    const machine = describeMachine(backend);
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-retrain-'));
    const env: Record<string, string> = { DB_PATH: path.join(directory, 'bench.sqlite'), LOG_LEVEL: 'warn' };
    if (values['budget-minutes'] !== undefined) {
      env.RETRAIN_BUDGET_MINUTES = String(positiveNumberOption(values['budget-minutes'], 'budget-minutes', 5));
    }
    const config = loadConfig(env);
    try {
      const store = openStore(config.dbPath);
      const imported = importLines(store, GUILD, corpus.base, { authorId: 'bench', source: 'import' });
      store.close();
      progress(`imported ${whole(imported.added)} sentences; full training, at most ${fullEpochs} epochs`);
      const initial = await trainFull(config, fullEpochs, 'initial full training');

      const newStore = openStore(config.dbPath);
      const importedNew = importLines(newStore, GUILD, corpus.added, { authorId: 'bench-new', source: 'import' });
      newStore.close();
      const live = await measureIncremental(config, corpus.heldOut, { predictEveryMs, baselineSeconds, seed });
      progress(`incremental run done in ${live.retrain.wallSeconds.toFixed(1)} s; full retrain, at most ${fullEpochs} epochs`);
      const full = await trainFull(config, fullEpochs, 'full retrain');
      const quality = await compareModels(config, corpus.heldOut, live.retrain.result.modelVersion, full.result.modelVersion);

      const result = {
        machine,
        loadAverageAfter1m: loadAverage(),
        corpus: {
          kind: corpus.kind,
          source: corpus.source,
          sentences: imported.added,
          added: importedNew.added,
          heldOut: corpus.heldOut.length,
          skipped: { base: imported.skipped, added: importedNew.skipped },
        },
        config: { budgetMinutes: config.retrainBudgetMinutes, retrainIntervalMinutes: config.retrainIntervalMinutes, fullEpochs },
        initial: runFigures(initial),
        incremental: { ...runFigures(live.retrain), peakRssMb: round(live.peakRssMb, 1) },
        full: runFigures(full),
        servingDuringRetrain: live.during,
        servingIdle: live.idle,
        quality,
        targets: REQUIRED,
        met: {
          retrainMinutes: live.retrain.wallSeconds <= REQUIRED.retrainMinutes * 60,
          peakRssMb: live.peakRssMb < REQUIRED.peakRssMb,
          perplexityRatio: quality.perplexityRatio <= REQUIRED.perplexityRatio,
          eventLoopP99Ms: live.during.eventLoop.p99Ms < REQUIRED.eventLoopP99Ms,
          predictP99Ms: live.during.predict.p99Ms < REQUIRED.predictP99Ms,
        },
      };
      return { result, text: summary(result) };
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  },
});

// ---- the corpus ---------------------------------------------------------------------------------

/** The three sets of sentences, as text lines. */
interface BenchCorpus {
  kind: 'real' | 'synthetic';
  /** The files, or how the synthetic corpus was made. */
  source: string;
  base: string[];
  added: string[];
  heldOut: string[];
}

/**
 * Real lines: every 10th (distinct) line held out, the rest in file order; the first `sentences`
 * are the guild's corpus, the next `added` the new sentences.
 */
function realCorpus(files: readonly string[], sizes: { sentences: number; added: number }): BenchCorpus {
  const lines = [...new Set(files.flatMap(readCorpus))];
  const { train, heldOut } = holdOutEveryTenth(lines);
  const needed = sizes.sentences + sizes.added;
  if (train.length < needed) {
    throw new UsageError(
      `the corpora hold ${train.length} distinct training lines (after holding out every 10th), ${needed} are needed; ` +
        'lower --sentences, or leave out --corpus for the synthetic corpus',
    );
  }
  return {
    kind: 'real',
    source: files.map(displayPath).join(', '),
    base: train.slice(0, sizes.sentences),
    added: train.slice(sizes.sentences, needed),
    heldOut,
  };
}

function syntheticCorpus(sizes: { sentences: number; added: number; heldOut: number }, seed: number): BenchCorpus {
  const generator = new SyntheticCorpus(seed);
  const lines = generator.distinctSentences(sizes.sentences + sizes.added + sizes.heldOut);
  return {
    kind: 'synthetic',
    source: generator.description(),
    base: lines.slice(0, sizes.sentences),
    added: lines.slice(sizes.sentences, sizes.sentences + sizes.added),
    heldOut: lines.slice(sizes.sentences + sizes.added),
  };
}

/**
 * Seeded synthetic text with the statistics that matter to the model's cost and quality: word
 * frequencies follow Zipf's law over {@link WORD_TYPES} word types (the most frequent words are
 * the shortest, as in natural language), sentence lengths are log-normal around 12 words, and
 * there is something to learn: each word has a few favourite successors, chosen with
 * probability {@link SUCCESSOR_SHARE}, the rest of the time the next word is drawn from the
 * unigram distribution.
 */
class SyntheticCorpus {
  static readonly WORD_TYPES = 30_000;
  static readonly ZIPF_EXPONENT = 1.0;
  static readonly SUCCESSORS = 6;
  static readonly SUCCESSOR_SHARE = 0.6;
  static readonly SYLLABLES = [
    'ba', 'be', 'bi', 'bo', 'da', 'de', 'di', 'do', 'fa', 'fe', 'ka', 'ke', 'ki', 'ko', 'la', 'le',
    'li', 'lo', 'ma', 'me', 'mi', 'mo', 'na', 'ne', 'ni', 'no', 'pa', 'pe', 'ra', 're', 'ri', 'ro',
    'sa', 'se', 'si', 'so', 'ta', 'te', 'ti', 'to',
  ];

  readonly #random: Random;
  readonly #seed: number;
  /** Cumulative unigram probabilities by rank. */
  readonly #cumulative: Float64Array;
  readonly #successors = new Map<number, number[]>();

  constructor(seed: number) {
    this.#seed = seed;
    this.#random = new Random(seed).fork('sentences');
    this.#cumulative = new Float64Array(SyntheticCorpus.WORD_TYPES);
    let total = 0;
    for (let rank = 0; rank < SyntheticCorpus.WORD_TYPES; rank++) {
      total += 1 / (rank + 1) ** SyntheticCorpus.ZIPF_EXPONENT;
      this.#cumulative[rank] = total;
    }
    for (let rank = 0; rank < SyntheticCorpus.WORD_TYPES; rank++) this.#cumulative[rank]! /= total;
  }

  description(): string {
    const c = SyntheticCorpus;
    return `synthetic, seed ${this.#seed}: Zipf (s = ${c.ZIPF_EXPONENT}) over ${whole(c.WORD_TYPES)} word types, ${c.SUCCESSORS} favourite successors per word taken ${c.SUCCESSOR_SHARE * 100}% of the time, log-normal lengths (median 12 words)`;
  }

  /** `count` distinct sentences (repeats are drawn again, as the store would refuse them). */
  distinctSentences(count: number): string[] {
    const seen = new Set<string>();
    while (seen.size < count) seen.add(this.#sentence());
    return [...seen];
  }

  #sentence(): string {
    const length = Math.min(40, Math.max(3, Math.round(Math.exp(2.5 + 0.5 * this.#random.normal()))));
    const ranks = [this.#unigram(this.#random)];
    while (ranks.length < length) {
      const previous = ranks.at(-1)!;
      ranks.push(this.#random.next() < SyntheticCorpus.SUCCESSOR_SHARE ? this.#successor(previous) : this.#unigram(this.#random));
    }
    return ranks.map(wordOf).join(' ');
  }

  /** A word rank drawn from the Zipf distribution. */
  #unigram(random: Random): number {
    const u = random.next();
    let low = 0;
    let high = this.#cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.#cumulative[middle]! < u) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** One of the word's favourite successors, the first ones more often (weights 1, 1/2, 1/3...). */
  #successor(rank: number): number {
    let successors = this.#successors.get(rank);
    if (successors === undefined) {
      const own = new Random(this.#seed).fork(`successors of ${rank}`);
      successors = Array.from({ length: SyntheticCorpus.SUCCESSORS }, () => this.#unigram(own));
      this.#successors.set(rank, successors);
    }
    const weights = successors.map((_, i) => 1 / (i + 1));
    let u = this.#random.next() * weights.reduce((sum, weight) => sum + weight, 0);
    for (let i = 0; i < successors.length; i++) {
      u -= weights[i]!;
      if (u < 0) return successors[i]!;
    }
    return successors.at(-1)!;
  }
}

/** The word of a frequency rank: its digits in base 40, one syllable per digit. */
function wordOf(rank: number): string {
  const syllables = SyntheticCorpus.SYLLABLES;
  let word = '';
  let rest = rank;
  do {
    word = syllables[rest % syllables.length]! + word;
    rest = Math.floor(rest / syllables.length) - 1;
  } while (rest >= 0);
  return word;
}

// ---- training runs ------------------------------------------------------------------------------

/** A run as the benchmark saw it from the main thread. */
interface TimedRun {
  result: Extract<RunResult, { status: 'succeeded' }>;
  /** From the request to the recorded outcome (worker start and model saving included). */
  wallSeconds: number;
  metrics: ModelMetrics;
  hyperparameters: Hyperparameters;
}

/** A full training run through the training service, with every job capped at `maxEpochs`. */
async function trainFull(config: Config, maxEpochs: number, label: string): Promise<TimedRun> {
  const app = await createApp(config, silentLogger, { schedule: false, training: { job: { hyperparameters: { maxEpochs } } } });
  try {
    const started = performance.now();
    const handle = app.training.requestRetrain(GUILD, { full: true, requestedBy: 'bench', trigger: 'cli' });
    app.training.start();
    return await timedRun(app, handle, started, label);
  } finally {
    await app.close();
  }
}

async function timedRun(app: App, handle: RunHandle, started: number, label: string): Promise<TimedRun> {
  const report = throttledProgress();
  const unsubscribe = handle.onProgress((p) =>
    report(() => `${label}: ${p.phase} epoch ${p.epoch}/${p.maxEpochs} batch ${p.batch}/${p.batchesPerEpoch}${p.loss === null ? '' : ` loss ${p.loss.toFixed(3)}`}`),
  );
  const result = await handle.done;
  unsubscribe();
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.status !== 'succeeded') {
    throw new Error(`${label} ${result.status}${result.status === 'failed' ? `: ${result.error}` : ''}`);
  }
  const stored = app.store.getModel(GUILD, result.modelVersion);
  if (stored === undefined) throw new Error(`${label}: model version ${result.modelVersion} is not stored`);
  return { result, wallSeconds, metrics: readModelMetrics(stored.metrics), hyperparameters: readHyperparameters(stored.hyperparameters) };
}

function runFigures(run: TimedRun) {
  const { result, metrics } = run;
  return {
    modelVersion: result.modelVersion,
    promoted: result.promoted,
    note: result.note,
    mode: metrics.mode,
    modeReason: metrics.modeReason,
    wallSeconds: round(run.wallSeconds, 1),
    jobSeconds: round(result.seconds, 1),
    epochs: metrics.history.length,
    bestEpoch: metrics.bestEpoch,
    stoppedEarly: metrics.stoppedEarly,
    trainSentences: metrics.trainSentences,
    trainTargets: metrics.trainTargets,
    validationSentences: metrics.validationSentences,
    trainingSeconds: round(metrics.history.reduce((sum, epoch) => sum + epoch.seconds, 0), 1),
    tokensPerSecond: Math.round(metrics.history.reduce((sum, epoch) => sum + epoch.tokensPerSecond, 0) / metrics.history.length),
    comparisonSeconds: metrics.comparison?.seconds === undefined ? null : round(metrics.comparison.seconds, 1),
    stoppedAtDeadline: metrics.stoppedAtDeadline,
    hyperparameters: run.hyperparameters,
  };
}

// ---- the incremental run, served meanwhile ------------------------------------------------------

/** Latency figures of the main thread. */
interface ServingFigures {
  seconds: number;
  eventLoop: { p50Ms: number; p99Ms: number; maxMs: number };
  /** The longest stalls of the main thread, with what the training run was doing then. */
  stalls: Stall[];
  predict: { requests: number; predictions: number; withoutPredictions: number; errors: number; p50Ms: number; p99Ms: number; maxMs: number };
}

/**
 * The app as the bot creates it, with the new sentences already imported: an idle phase serving
 * `/predict`, then its schedule starts (what `createApp(..., { schedule: true })` does) and the
 * incremental run goes on while `/predict` keeps being served.
 */
async function measureIncremental(
  config: Config,
  heldOut: readonly string[],
  options: { predictEveryMs: number; baselineSeconds: number; seed: number },
): Promise<{ retrain: TimedRun; peakRssMb: number; during: ServingFigures; idle: ServingFigures }> {
  const app = await createApp(config, silentLogger, { schedule: false } satisfies CreateAppOptions);
  const registry = createRegistry(await loadCommands());
  const contexts = predictInputs(heldOut, options.seed);
  try {
    // The first request loads the serving model: part of a start, not of serving.
    await predictOnce(app, registry, contexts[0]!);
    const idle = await serve(app, registry, contexts, options.predictEveryMs, sleep(options.baselineSeconds * 1000), () => 'idle');
    const memory = sampleRss();
    let retrain: Promise<TimedRun> | undefined;
    let phase = 'starting the worker';
    const during = await serve(app, registry, contexts, options.predictEveryMs, (async () => {
      const started = performance.now();
      app.training.start();
      const handle = app.training.activeRun(GUILD);
      if (handle === null) throw new Error('the schedule did not queue a retrain for the new sentences');
      handle.onProgress((p) => {
        phase = p.phase === 'training' ? `training epoch ${p.epoch}/${p.maxEpochs}` : p.phase;
      });
      retrain = timedRun(app, handle, started, 'incremental retrain');
      await retrain;
    })(), () => phase);
    const peakRssMb = memory.stop();
    return { retrain: await retrain!, peakRssMb, during, idle };
  } finally {
    await app.close();
  }
}

/**
 * The sampling interval of the event-loop delay histogram. Node records the whole interval
 * between two samples, so the delay is the recorded value minus this.
 */
const EVENT_LOOP_RESOLUTION_MS = 10;

/** A stall of the main thread longer than {@link STALL_MS}. */
interface Stall {
  /** Seconds since the measurement started. */
  atSeconds: number;
  ms: number;
  /** What the training run reported last. */
  phase: string;
}

const STALL_MS = 50;
/** Stalls listed in the result, the longest first. */
const STALLS_KEPT = 8;

/**
 * Runs `/predict` every `everyMs` and samples the event-loop delay until `until` settles;
 * `phase` names what the training run is doing, to place the stalls.
 */
async function serve(
  app: App,
  registry: CommandRegistry,
  contexts: readonly string[],
  everyMs: number,
  until: Promise<unknown>,
  phase: () => string,
): Promise<ServingFigures> {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  const stalls: Stall[] = [];
  let lastTick = performance.now();
  const stallWatch = setInterval(() => {
    const now = performance.now();
    const delay = now - lastTick - EVENT_LOOP_RESOLUTION_MS;
    if (delay > STALL_MS) stalls.push({ atSeconds: round((now - started) / 1000, 1), ms: Math.round(delay), phase: phase() });
    lastTick = now;
  }, EVENT_LOOP_RESOLUTION_MS);
  const latencies: number[] = [];
  const answers = { predictions: 0, withoutPredictions: 0, errors: 0 };
  let finished = false;
  const settled = until.finally(() => {
    finished = true;
  });
  const started = performance.now();
  histogram.enable();
  for (let i = 1; !finished; i++) {
    const begin = performance.now();
    answers[await predictOnce(app, registry, contexts[i % contexts.length]!)]++;
    latencies.push(performance.now() - begin);
    await sleep(everyMs);
  }
  histogram.disable();
  clearInterval(stallWatch);
  await settled;
  const delayMs = (nanoseconds: number): number => round(Math.max(0, nanoseconds / 1e6 - EVENT_LOOP_RESOLUTION_MS), 1);
  return {
    seconds: round((performance.now() - started) / 1000, 1),
    eventLoop: { p50Ms: delayMs(histogram.percentile(50)), p99Ms: delayMs(histogram.percentile(99)), maxMs: delayMs(histogram.max) },
    stalls: stalls.sort((a, b) => b.ms - a.ms).slice(0, STALLS_KEPT),
    predict: {
      requests: latencies.length,
      ...answers,
      p50Ms: round(percentile(latencies, 50), 1),
      p99Ms: round(percentile(latencies, 99), 1),
      maxMs: round(Math.max(...latencies), 1),
    },
  };
}

/** What a `/predict` answered: next words, another answer (e.g. every word unknown), or an error. */
type AnswerKind = 'predictions' | 'withoutPredictions' | 'errors';

/** One `/predict` through the command layer. */
async function predictOnce(app: App, registry: CommandRegistry, text: string): Promise<AnswerKind> {
  let answer = '';
  const ctx = new ConsoleContext({
    commandName: 'predict',
    options: new Map([['text', text]]),
    guildId: GUILD,
    user: { id: '100000000000000002', name: 'bench' },
    locale: 'en',
    services: app.services,
    logger: silentLogger,
    print: (message) => {
      answer = message.content ?? '';
    },
  });
  await runCommand(registry, ctx, silentLogger);
  // The predictions are a table in a code block; an internal error quotes a reference.
  return answer.includes('```') ? 'predictions' : answer.includes('(reference `') ? 'errors' : 'withoutPredictions';
}

/** The first two to five words of held-out sentences, in a seeded order. */
function predictInputs(heldOut: readonly string[], seed: number): string[] {
  const random = new Random(seed).fork('predict inputs');
  return random.shuffle([...heldOut]).slice(0, 500).map((line) => {
    const words = tokenize(line).tokens;
    return words.slice(0, Math.min(words.length, 2 + random.int(4))).join(' ');
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- held-out quality ---------------------------------------------------------------------------

/** Evaluates two stored versions of the guild's model on the same held-out sentences. */
async function compareModels(config: Config, heldOut: readonly string[], incrementalVersion: number, fullVersion: number) {
  const store = openStore(config.dbPath);
  const loaded: UnpackedModel[] = [];
  try {
    for (const version of [incrementalVersion, fullVersion]) {
      const stored = store.getModel(GUILD, version);
      if (stored === undefined) throw new Error(`model version ${version} is not stored`);
      loaded.push(await unpackModel(stored));
    }
    const sentences = heldOut.map((line) => tokenize(line).tokens).filter((tokens) => tokens.length > 0);
    const [incremental, full] = loaded.map(({ model, vocabulary }) => {
      const result = evaluate(sentences.map((tokens) => vocabulary.encode(tokens).ids), lstmPredictor(model));
      return { vocabularySize: vocabulary.size, perplexity: round(result.perplexity, 2), oovRate: round(result.oovRate, 4), top1: round(result.top1, 4), top5: round(result.top5, 4) };
    }) as [QualityFigures, QualityFigures];
    const shared = sharedTargetLosses(loaded.map(({ model, vocabulary }) => ({ vocabulary, predictor: lstmPredictor(model) })), sentences);
    return {
      heldOutSentences: sentences.length,
      incremental,
      full,
      perplexityRatio: round(incremental.perplexity / full.perplexity, 4),
      sharedTargets: {
        targets: shared.targets,
        incrementalPerplexity: round(Math.exp(shared.losses[0]!), 2),
        fullPerplexity: round(Math.exp(shared.losses[1]!), 2),
      },
    };
  } finally {
    for (const { model } of loaded) model.dispose();
    store.close();
  }
}

interface QualityFigures {
  vocabularySize: number;
  perplexity: number;
  oovRate: number;
  top1: number;
  top5: number;
}

// ---- output -------------------------------------------------------------------------------------

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function summary(result: {
  machine: ReturnType<typeof describeMachine>;
  loadAverageAfter1m: number;
  corpus: { kind: string; source: string; sentences: number; added: number; heldOut: number };
  config: { budgetMinutes: number; fullEpochs: number };
  initial: ReturnType<typeof runFigures>;
  incremental: ReturnType<typeof runFigures> & { peakRssMb: number };
  full: ReturnType<typeof runFigures>;
  servingDuringRetrain: ServingFigures;
  servingIdle: ServingFigures;
  quality: Awaited<ReturnType<typeof compareModels>>;
  met: Record<keyof typeof REQUIRED, boolean>;
}): string {
  const { incremental, full, initial, quality, servingDuringRetrain: during, servingIdle: idle, met } = result;
  const verdict = (ok: boolean): string => (ok ? 'yes' : 'NO');
  const requests = ({ predict }: ServingFigures): string =>
    `${predict.requests} (${predict.withoutPredictions} without predictions, ${predict.errors} errors)`;
  const runRow = (name: string, run: ReturnType<typeof runFigures>): string[] => [
    name,
    `${run.wallSeconds.toFixed(1)} s`,
    `${run.epochs}${run.stoppedEarly ? ' (stopped early)' : run.stoppedAtDeadline ? ' (deadline)' : ''}`,
    `${run.hyperparameters.learningRate} / ${run.hyperparameters.dropout ?? 0}`,
    whole(run.trainSentences),
    whole(run.tokensPerSecond),
    `v${run.modelVersion}${run.promoted ? '' : ' (not promoted)'}`,
  ];
  return [
    `retrain-100k: ${result.corpus.kind} corpus (${result.corpus.source})`,
    `  ${whole(result.corpus.sentences)} sentences + ${whole(result.corpus.added)} new, ${whole(result.corpus.heldOut)} held out; ` +
      `full trainings capped at ${result.config.fullEpochs} epochs; incremental budget ${result.config.budgetMinutes} min`,
    `  machine: ${machineLine(result.machine)}; load after ${result.loadAverageAfter1m}`,
    `  incremental: ${incremental.modeReason}`,
    '',
    markdownTable(['run', 'wall time', 'epochs', 'learning rate / dropout', 'train sentences', 'targets/s', 'model'], [
      runRow('initial full', initial),
      runRow('incremental', incremental),
      runRow('full retrain', full),
    ]),
    '',
    markdownTable(['held out', 'vocabulary', 'perplexity', 'OOV', 'top-1', 'top-5', 'shared-target ppl'], [
      ['incremental', whole(quality.incremental.vocabularySize), quality.incremental.perplexity.toFixed(2), percent(quality.incremental.oovRate), percent(quality.incremental.top1), percent(quality.incremental.top5), quality.sharedTargets.incrementalPerplexity.toFixed(2)],
      ['full retrain', whole(quality.full.vocabularySize), quality.full.perplexity.toFixed(2), percent(quality.full.oovRate), percent(quality.full.top1), percent(quality.full.top5), quality.sharedTargets.fullPerplexity.toFixed(2)],
    ]),
    '',
    markdownTable(['main thread', 'seconds', 'event-loop delay p50 / p99 / max', '/predict requests', '/predict p50 / p99 / max'], [
      ['idle', String(idle.seconds), `${idle.eventLoop.p50Ms} / ${idle.eventLoop.p99Ms} / ${idle.eventLoop.maxMs} ms`, requests(idle), `${idle.predict.p50Ms} / ${idle.predict.p99Ms} / ${idle.predict.maxMs} ms`],
      ['during retrain', String(during.seconds), `${during.eventLoop.p50Ms} / ${during.eventLoop.p99Ms} / ${during.eventLoop.maxMs} ms`, requests(during), `${during.predict.p50Ms} / ${during.predict.p99Ms} / ${during.predict.maxMs} ms`],
    ]),
    `  longest main-thread stalls during the retrain: ${during.stalls.map((stall) => `${stall.ms} ms at ${stall.atSeconds} s (${stall.phase})`).join('; ') || 'none'}`,
    '',
    markdownTable(['target', 'required', 'measured', 'met'], [
      ['incremental retrain wall time', `<= ${REQUIRED.retrainMinutes} min`, `${(incremental.wallSeconds / 60).toFixed(2)} min`, verdict(met.retrainMinutes)],
      ['process RSS during retrain (worker included)', `< ${REQUIRED.peakRssMb} MB`, `${whole(incremental.peakRssMb)} MB`, verdict(met.peakRssMb)],
      ['held-out perplexity, incremental / full', `<= ${REQUIRED.perplexityRatio}`, quality.perplexityRatio.toFixed(3), verdict(met.perplexityRatio)],
      ['event-loop delay p99', `< ${REQUIRED.eventLoopP99Ms} ms`, `${during.eventLoop.p99Ms} ms`, verdict(met.eventLoopP99Ms)],
      ['/predict p99 (command layer)', `< ${REQUIRED.predictP99Ms} ms`, `${during.predict.p99Ms} ms`, verdict(met.predictP99Ms)],
    ]),
  ].join('\n');
}
