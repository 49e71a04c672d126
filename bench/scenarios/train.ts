/**
 * Scenario `train`: training speed, held-out quality, predict latency and memory of the product's
 * trainer on a corpus, optionally beside the PyTorch reference run on the same corpus right after.
 *
 * Like the reference: every 10th sentence held out, a vocabulary of `--vocab` entries from the
 * training split, Adam at `--lr`, no dropout, no gradient clipping, no early stopping, `--epochs`
 * epochs, then held-out perplexity. Unlike it: the product's tokenizer (Intl.Segmenter words; the
 * reference uses a regex), an end-of-sentence target per sentence, and sentences longer than
 * `--max-len` cut into the product's overlapping windows (every token stays a target once; the
 * reference truncates them instead).
 *
 * `--rounds N` alternates the two (ours, reference, ours, reference, ...) and reports the medians:
 * on a shared machine the load changes from minute to minute, and a ratio is only fair when both
 * sides ran in the same window. Beside tokens per wall-clock second, both sides report target tokens
 * per CPU-second of their training (ours: this process's CPU time while it trains; the reference's:
 * its CPU time within its timed epochs, see `bench/cpu-time.py`): other work on the machine slows
 * the wall clock of both, much less their CPU time. `--profile` times the phases of our training
 * steps.
 *
 * @module
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { initBackend, type BackendName } from '../../src/lm/backend.ts';
import { evaluate } from '../../src/lm/evaluate.ts';
import type { Hyperparameters } from '../../src/lm/hyperparameters.ts';
import { startPhaseProfile, stopPhaseProfile, TRAINING_PHASES, type PhaseTimes } from '../../src/lm/engine/phase-profile.ts';
import { lstmNextWordModel, lstmPredictor, predictNextWords } from '../../src/lm/predict.ts';
import { tokenize } from '../../src/lm/tokenizer.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';
import type { TrainerResult } from '../../src/lm/training-types.ts';
import { Vocabulary } from '../../src/lm/vocabulary.ts';
import { choiceOption, integerOption, positiveNumberOption } from '../lib/args.ts';
import { DEFAULT_CORPUS, displayPath, holdOutEveryTenth, readCorpus } from '../lib/corpus.ts';
import { markdownTable, percent, round, whole } from '../lib/format.ts';
import { describeMachine, loadAverage, machineLine } from '../lib/machine.ts';
import { processPeakRssMb } from '../lib/memory.ts';
import { throttledProgress } from '../lib/progress.ts';
import { defineScenario, UsageError } from '../lib/scenario.ts';
import { measureLatency, median } from '../lib/stats.ts';
import { checkReferenceSetup, DEFAULT_PYTHON, runTorchReference, type ReferenceRun } from '../lib/torch-reference.ts';

/** Targets, on the same machine, model and corpus as the reference. */
const REQUIRED = { tokensPerSecondRatio: 0.9, perplexityRatio: 1.05, predictP50Ms: 0.5 };
const PREDICT_CONTEXT_WORDS = 5;

export default defineScenario({
  summary: 'train one model like the PyTorch reference: tokens/s, held-out perplexity, predict latency, peak RSS',
  usage: `  --corpus FILE         one sentence per line (default: the bundled data/sample-corpus.txt)
  --vocab N             vocabulary entries, special tokens included (default 5000)
  --emb N --hidden N    embedding and LSTM widths (default 64, 128)
  --batch N             sequences per step (default 64)
  --epochs N            passes over the training split (default 1)
  --max-len N           longest training sequence; longer sentences become windows (default 32)
  --lr X                Adam learning rate (default 0.002)
  --seed N              initialisation and shuffling seed (default 42)
  --threads N           threads computing each batch (default 1; see trainLanguageModel's threads)
  --sampled N           score each target against N sampled ids (sampled softmax, as the product
                        trains large corpora) instead of the whole vocabulary (the reference's)
  --backend NAME        node, wasm or cpu (default: the product's choice)
  --with-reference      then run the PyTorch reference on the same corpus and compare; it must
                        run on OpenBLAS (its JSON names the BLAS) or the run is refused
  --reference FILE      path of torch-reference.py (required with --with-reference; with
                        --sampled, a script that implements it: bench/torch-sampled-reference.py)
  --rounds N            train N times, alternating with the reference; medians (default 1)
  --profile             time the phases of our training steps and print where the time goes
  --python CMD          Python interpreter with torch for the reference (default ${DEFAULT_PYTHON})`,
  options: {
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    vocab: { type: 'string' },
    emb: { type: 'string' },
    hidden: { type: 'string' },
    batch: { type: 'string' },
    epochs: { type: 'string' },
    'max-len': { type: 'string' },
    lr: { type: 'string' },
    seed: { type: 'string' },
    threads: { type: 'string' },
    sampled: { type: 'string' },
    backend: { type: 'string' },
    'with-reference': { type: 'boolean', default: false },
    reference: { type: 'string' },
    rounds: { type: 'string' },
    profile: { type: 'boolean', default: false },
    python: { type: 'string', default: DEFAULT_PYTHON },
  },

  async run(values) {
    const settings = {
      vocab: integerOption(values.vocab, 'vocab', 5000, Vocabulary.specialCount + 1),
      emb: integerOption(values.emb, 'emb', 64),
      hidden: integerOption(values.hidden, 'hidden', 128),
      batch: integerOption(values.batch, 'batch', 64),
      epochs: integerOption(values.epochs, 'epochs', 1),
      maxLen: integerOption(values['max-len'], 'max-len', 32, 2),
      lr: positiveNumberOption(values.lr, 'lr', 0.002),
      seed: integerOption(values.seed, 'seed', 42, 0),
      threads: integerOption(values.threads, 'threads', 1),
      sampled: values.sampled === undefined ? undefined : integerOption(values.sampled, 'sampled', 1024),
    };
    const rounds = integerOption(values.rounds, 'rounds', 1);
    const referenceScript = values['with-reference'] ? values.reference : undefined;
    if (values['with-reference'] && referenceScript === undefined) {
      throw new UsageError('--with-reference needs --reference PATH/torch-reference.py');
    }
    if (referenceScript !== undefined) checkReferenceSetup(referenceScript);
    const backend = await initBackend(choiceOption<BackendName>(values.backend, 'backend', ['node', 'wasm', 'cpu']));
    const machine = describeMachine(backend);

    const sentences = readCorpus(values.corpus)
      .map((line) => tokenize(line).tokens)
      .filter((tokens) => tokens.length > 0);
    const split = holdOutEveryTenth(sentences);
    const vocabulary = Vocabulary.build(split.train, { minCount: 1, maxSize: settings.vocab });
    const encode = (tokens: string[]) => vocabulary.encode(tokens).ids;
    const train = split.train.map(encode);
    const heldOut = split.heldOut.map(encode);
    const trainTargets = count(train, 1);
    const hyperparameters: Hyperparameters = {
      embeddingSize: settings.emb,
      hiddenSize: settings.hidden,
      learningRate: settings.lr,
      batchSize: settings.batch,
      maxEpochs: settings.epochs,
      contextLength: settings.maxLen,
      validationFraction: 0,
      patience: 1,
      seed: settings.seed,
      dropout: 0,
      ...(settings.sampled === undefined ? {} : { sampledSoftmaxSize: settings.sampled }),
    };

    const report = throttledProgress();
    let batchesPerEpoch = 0;
    const trainOnce = async (round: number): Promise<{ run: TrainerResult; seconds: number; cpuSeconds: number }> => {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const run = await trainLanguageModel({ train, validation: [] }, vocabulary.size, hyperparameters, {
        threads: settings.threads,
        onProgress: (progress) => {
          batchesPerEpoch = progress.batchesPerEpoch;
          report(
            () =>
              `round ${round}/${rounds} epoch ${progress.epoch}/${progress.epochs} batch ${progress.batch}/${progress.batchesPerEpoch} ` +
              `loss ${progress.loss.toFixed(3)} ${whole(progress.tokensPerSecond)} tokens/s, ${whole(progress.etaSeconds)} s left`,
          );
        },
      });
      const cpu = process.cpuUsage(cpuStart);
      // Beside wall time: on a busy machine the share of a core the training got explains its speed.
      return { run, seconds: (performance.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
    };

    const profile = values.profile ? startProfile() : undefined;
    const oursRounds: RoundFigures[] = [];
    const referenceRounds: ReferenceRound[] = [];
    let model: TrainerResult['model'] | undefined;
    let history: TrainerResult['history'] = [];
    try {
      for (let round = 1; round <= rounds; round++) {
        const loadBefore = loadAverage();
        const { run, seconds, cpuSeconds } = await trainOnce(round);
        const rates = run.history.map((epoch) => epoch.tokensPerSecond);
        oursRounds.push({
          loadBefore,
          tokensPerSecond: round1(median(rates)),
          tokensPerCpuSecond: round1((trainTargets * settings.epochs) / cpuSeconds),
          seconds: round1(seconds),
          cpuSeconds: round1(cpuSeconds),
        });
        // Training is deterministic: the first round's model stands for all of them.
        if (model === undefined) {
          model = run.model;
          history = run.history;
        } else {
          run.model.dispose();
        }
        if (referenceScript !== undefined) {
          const referenceLoad = loadAverage();
          const reference = await runTorchReference(referenceScript, values.corpus, settings, values.python);
          referenceRounds.push({ loadBefore: referenceLoad, run: reference });
        }
      }
    } catch (error) {
      model?.dispose();
      throw error;
    } finally {
      profile?.stop();
    }
    // rounds >= 1: the first round set it.
    const trained = model as TrainerResult['model'];
    try {
      const evaluationStart = performance.now();
      const quality = evaluate(heldOut, lstmPredictor(trained));
      const evaluationSeconds = (performance.now() - evaluationStart) / 1000;
      const language = { model: lstmNextWordModel(trained), vocabulary };
      const context = (split.heldOut[0] ?? split.train[0]!).slice(0, PREDICT_CONTEXT_WORDS).join(' ');
      const predict = measureLatency(() => predictNextWords(language, context, 5), { warmup: 10, samples: 500 });
      const ours = {
        trainSentences: train.length,
        heldOutSentences: heldOut.length,
        vocabularySize: vocabulary.size,
        trainTokens: count(train, 0),
        trainTargets,
        rounds: oursRounds,
        targetTokensPerSecondMedian: round1(median(oursRounds.map((r) => r.tokensPerSecond))),
        targetTokensPerCpuSecondMedian: round1(median(oursRounds.map((r) => r.tokensPerCpuSecond))),
        trainLoss: history.map((epoch) => round(epoch.trainLoss, 4)),
        trainingSeconds: median(oursRounds.map((r) => r.seconds)),
        trainingCpuSeconds: median(oursRounds.map((r) => r.cpuSeconds)),
        heldOut: {
          targets: quality.tokens,
          oovRate: round(quality.oovRate, 4),
          perplexity: round(quality.perplexity, 2),
          top1: round(quality.top1, 4),
          top5: round(quality.top5, 4),
          seconds: round(evaluationSeconds, 2),
        },
        predict: { context, top: 5, samples: predict.samples, p50Ms: round(predict.p50Ms), p99Ms: round(predict.p99Ms), maxMs: round(predict.maxMs) },
        peakRssMb: round(processPeakRssMb(), 1),
        ...(profile === undefined ? {} : { profile: profile.result(oursRounds.length * settings.epochs * batchesPerEpoch) }),
      };
      const reference = referenceRounds.length === 0 ? undefined : summariseReference(referenceRounds, oursRounds, settings.epochs);
      const checks = targetChecks(ours, reference);
      const result = {
        corpus: displayPath(values.corpus),
        machine,
        loadAverageAfter1m: loadAverage(),
        backend,
        settings: { ...settings, rounds, sequences: `windows of ${settings.maxLen} steps (product), no truncation`, clipNorm: null },
        ours,
        ...(reference === undefined ? {} : { reference }),
        checks,
      };
      const softmax = settings.sampled === undefined ? '' : `, sampled softmax of ${settings.sampled}`;
      return { result, text: summary(`${displayPath(values.corpus)}${softmax}`, machine.backend, settings.epochs, ours, reference, checks, machineLine(machine)) };
    } finally {
      trained.dispose();
    }
  },
});

/** Our training speed in one round. */
interface RoundFigures {
  /** 1-minute load average just before the round. */
  loadBefore: number;
  tokensPerSecond: number;
  /** Target tokens over the CPU seconds of the whole training call. */
  tokensPerCpuSecond: number;
  seconds: number;
  cpuSeconds: number;
}

interface ReferenceRound {
  loadBefore: number;
  run: ReferenceRun;
}

/** The reference's figures over its rounds: speed as the median, the rest from the first run. */
interface ReferenceSummary {
  command: string;
  torch: string;
  blas: string;
  rounds: { loadBefore: number; tokensPerSecond: number; tokensPerCpuSecond: number; seconds: number; trainingCpuSeconds: number }[];
  tokensPerSecondMedian: number;
  tokensPerCpuSecondMedian: number;
  /** Ours over the reference's tokens/s, round by round (each pair ran back to back). */
  roundRatios: number[];
  /** The same by CPU time. */
  roundCpuRatios: number[];
  trainTokens: number;
  vocab: number;
  heldOut: { perplexity: number; top1: number; top5: number };
  predictP50Ms: number;
  peakRssMb: number;
}

function summariseReference(rounds: readonly ReferenceRound[], ours: readonly RoundFigures[], epochs: number): ReferenceSummary {
  const first = rounds[0]!.run;
  const figures = rounds.map(({ loadBefore, run }) => ({
    loadBefore,
    tokensPerSecond: run.result.tokens_per_s_median,
    tokensPerCpuSecond: round1((run.result.train_tokens * epochs) / run.trainingCpuSeconds),
    seconds: round1(run.seconds),
    trainingCpuSeconds: round1(run.trainingCpuSeconds),
  }));
  return {
    command: first.command,
    torch: first.result.torch,
    blas: first.result.blas ?? 'unknown',
    rounds: figures,
    tokensPerSecondMedian: round1(median(figures.map((r) => r.tokensPerSecond))),
    tokensPerCpuSecondMedian: round1(median(figures.map((r) => r.tokensPerCpuSecond))),
    roundRatios: figures.map((r, index) => round((ours[index] as RoundFigures).tokensPerSecond / r.tokensPerSecond)),
    roundCpuRatios: figures.map((r, index) => round((ours[index] as RoundFigures).tokensPerCpuSecond / r.tokensPerCpuSecond)),
    trainTokens: first.result.train_tokens,
    vocab: first.result.vocab,
    heldOut: { perplexity: first.result.heldout_perplexity, top1: first.result.heldout_top1, top5: first.result.heldout_top5 },
    predictP50Ms: first.result.predict_ms_p50,
    peakRssMb: first.result.peak_rss_mb,
  };
}

/** Phase times of our training steps, and the garbage collector's time, while training ran. */
function startProfile(): { stop(): void; result(batches: number): ProfileFigures } {
  let gcMs = 0;
  let gcCount = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      gcCount++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  startPhaseProfile();
  let times: PhaseTimes | undefined;
  return {
    stop() {
      times = stopPhaseProfile();
      observer.disconnect();
    },
    result(batches) {
      const phases = times as PhaseTimes;
      const total = TRAINING_PHASES.reduce((sum, phase) => sum + phases[phase].ms, 0);
      return {
        batches,
        msPerBatch: round1(total / batches),
        phases: TRAINING_PHASES.map((phase) => ({
          phase,
          msPerBatch: round(phases[phase].ms / batches, 2),
          callsPerBatch: round1(phases[phase].calls / batches),
          share: round(phases[phase].ms / total, 4),
        })),
        garbageCollection: { msPerBatch: round(gcMs / batches, 2), collections: gcCount, share: round(gcMs / total, 4) },
      };
    },
  };
}

interface ProfileFigures {
  batches: number;
  msPerBatch: number;
  phases: { phase: string; msPerBatch: number; callsPerBatch: number; share: number }[];
  garbageCollection: { msPerBatch: number; collections: number; share: number };
}

type OurFigures = {
  trainSentences: number;
  heldOutSentences: number;
  vocabularySize: number;
  trainTokens: number;
  trainTargets: number;
  rounds: RoundFigures[];
  targetTokensPerSecondMedian: number;
  targetTokensPerCpuSecondMedian: number;
  trainingSeconds: number;
  trainingCpuSeconds: number;
  heldOut: { targets: number; oovRate: number; perplexity: number; top1: number; top5: number };
  predict: { p50Ms: number; p99Ms: number };
  peakRssMb: number;
  profile?: ProfileFigures;
};

interface Check {
  value: number;
  required: string;
  met: boolean;
}

/** The targets; the ratios only when the reference ran beside this run. */
function targetChecks(ours: OurFigures, reference: ReferenceSummary | undefined): Record<string, Check> {
  const checks: Record<string, Check> = {
    predictP50Ms: {
      value: ours.predict.p50Ms,
      required: `<= ${REQUIRED.predictP50Ms}`,
      met: ours.predict.p50Ms <= REQUIRED.predictP50Ms,
    },
  };
  if (reference === undefined) return checks;
  const speed = ours.targetTokensPerSecondMedian / reference.tokensPerSecondMedian;
  const cpuSpeed = ours.targetTokensPerCpuSecondMedian / reference.tokensPerCpuSecondMedian;
  const perplexity = ours.heldOut.perplexity / reference.heldOut.perplexity;
  checks['tokensPerSecondRatio'] = {
    value: round(speed),
    required: `>= ${REQUIRED.tokensPerSecondRatio}`,
    met: speed >= REQUIRED.tokensPerSecondRatio,
  };
  checks['tokensPerCpuSecondRatio'] = {
    value: round(cpuSpeed),
    required: `>= ${REQUIRED.tokensPerSecondRatio}`,
    met: cpuSpeed >= REQUIRED.tokensPerSecondRatio,
  };
  checks['perplexityRatio'] = {
    value: round(perplexity),
    required: `<= ${REQUIRED.perplexityRatio}`,
    met: perplexity <= REQUIRED.perplexityRatio,
  };
  return checks;
}

function summary(
  corpus: string,
  backend: string,
  epochs: number,
  ours: OurFigures,
  ref: ReferenceSummary | undefined,
  checks: Record<string, Check>,
  machine: string,
): string {
  const ratio = (a: number, b: number | undefined) => (b === undefined ? '' : (a / b).toFixed(2));
  const speeds = (rounds: readonly { tokensPerSecond: number; tokensPerCpuSecond: number; loadBefore: number }[]) =>
    rounds.length === 1
      ? ''
      : ` (rounds: ${rounds.map((r) => `${whole(r.tokensPerSecond)}/s, ${whole(r.tokensPerCpuSecond)}/CPU-s at load ${r.loadBefore}`).join('; ')})`;
  const ofRounds = ours.rounds.length > 1 ? ', median' : '';
  const rows: string[][] = [
    ['target tokens/s' + ofRounds, whole(ours.targetTokensPerSecondMedian), ref ? whole(ref.tokensPerSecondMedian) : '', ratio(ours.targetTokensPerSecondMedian, ref?.tokensPerSecondMedian)],
    ['target tokens per CPU-second' + ofRounds, whole(ours.targetTokensPerCpuSecondMedian), ref ? whole(ref.tokensPerCpuSecondMedian) : '', ratio(ours.targetTokensPerCpuSecondMedian, ref?.tokensPerCpuSecondMedian)],
    [`held-out perplexity after ${epochs} epoch(s)`, ours.heldOut.perplexity.toFixed(2), ref ? ref.heldOut.perplexity.toFixed(2) : '', ratio(ours.heldOut.perplexity, ref?.heldOut.perplexity)],
    ['held-out top-1 / top-5', `${percent(ours.heldOut.top1)} / ${percent(ours.heldOut.top5)}`, ref ? `${percent(ref.heldOut.top1)} / ${percent(ref.heldOut.top5)}` : '', ''],
    ['predict p50 / p99 (top-5)', `${ours.predict.p50Ms.toFixed(2)} / ${ours.predict.p99Ms.toFixed(2)} ms`, ref ? `${ref.predictP50Ms.toFixed(2)} ms / -` : '', ratio(ours.predict.p50Ms, ref?.predictP50Ms)],
    ['peak RSS', `${whole(ours.peakRssMb)} MB`, ref ? `${whole(ref.peakRssMb)} MB` : '', ''],
    ['training targets per epoch', whole(ours.trainTargets), ref ? whole(ref.trainTokens) : '', ''],
    ['vocabulary', whole(ours.vocabularySize), ref ? whole(ref.vocab) : '', ''],
  ];
  const headers = ['', `ours (tfjs ${backend})`, ...(ref ? [`PyTorch ${ref.torch} + ${ref.blas}, 1 thread`, 'ratio'] : [])];
  const table = markdownTable(headers, ref ? rows : rows.map((row) => row.slice(0, 2)));
  const checkLines = Object.entries(checks).map(([name, c]) => `${c.met ? 'met' : 'NOT met'}: ${name} ${c.value} (required ${c.required})`);
  return [
    `train: ${epochs} epoch(s) on ${corpus}`,
    `  ${whole(ours.trainSentences)} training sentences (${whole(ours.trainTokens)} tokens + one end of sentence each), ${whole(ours.heldOutSentences)} held out (${percent(ours.heldOut.oovRate)} unknown words), ${ours.trainingSeconds.toFixed(1)} s training (${ours.trainingCpuSeconds.toFixed(1)} s CPU)`,
    `  tokens: ours Intl.Segmenter words with windows; the reference's regex tokens truncated to --max-len, no end-of-sentence target`,
    `  machine: ${machine}`,
    `  ours${speeds(ours.rounds)}`,
    ...(ref ? [`  reference: ${ref.command}${speeds(ref.rounds)}`] : []),
    ...(ref && ref.rounds.length > 1
      ? [
          `  ratio round by round, wall clock: ${ref.roundRatios.map((r) => r.toFixed(2)).join(', ')} (median ${median(ref.roundRatios).toFixed(2)})`,
          `  ratio round by round, CPU time: ${ref.roundCpuRatios.map((r) => r.toFixed(2)).join(', ')} (median ${median(ref.roundCpuRatios).toFixed(2)})`,
        ]
      : []),
    '',
    table,
    '',
    ...checkLines,
    ...(ours.profile === undefined ? [] : ['', profileTable(ours.profile)]),
  ].join('\n');
}

/** Where the time of a training step goes, as a Markdown table. */
function profileTable(profile: ProfileFigures): string {
  const rows = profile.phases.map((p) => [p.phase, p.msPerBatch.toFixed(1), p.callsPerBatch.toString(), percent(p.share)]);
  rows.push(['all phases', profile.msPerBatch.toFixed(1), '', '100%']);
  const gc = profile.garbageCollection;
  rows.push(['of which garbage collection', gc.msPerBatch.toFixed(1), `${gc.collections} in all`, percent(gc.share)]);
  return `profile over ${profile.batches} batches:\n${markdownTable(['phase', 'ms per batch', 'calls per batch', 'share'], rows)}`;
}

/** One decimal, for speeds and seconds. */
function round1(value: number): number {
  return round(value, 1);
}

/** Word tokens of sentences plus `perSentence` extra targets each (1 = the end of sentence). */
function count(sentences: readonly number[][], perSentence: number): number {
  return sentences.reduce((sum, sentence) => sum + sentence.length + perSentence, 0);
}
