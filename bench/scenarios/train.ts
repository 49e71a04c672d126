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
 * @module
 */
import { initBackend, type BackendName } from '../../src/lm/backend.ts';
import { evaluate } from '../../src/lm/evaluate.ts';
import type { Hyperparameters } from '../../src/lm/hyperparameters.ts';
import { lstmNextWordModel, lstmPredictor, predictNextWords } from '../../src/lm/predict.ts';
import { tokenize } from '../../src/lm/tokenizer.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';
import { Vocabulary } from '../../src/lm/vocabulary.ts';
import { choiceOption, integerOption, positiveNumberOption } from '../lib/args.ts';
import { DEFAULT_CORPUS, displayPath, holdOutEveryTenth, readCorpus } from '../lib/corpus.ts';
import { markdownTable, percent, round, whole } from '../lib/format.ts';
import { describeMachine, loadAverage, machineLine } from '../lib/machine.ts';
import { processPeakRssMb } from '../lib/memory.ts';
import { throttledProgress } from '../lib/progress.ts';
import { defineScenario, UsageError } from '../lib/scenario.ts';
import { measureLatency, median } from '../lib/stats.ts';
import { DEFAULT_PYTHON, runTorchReference, type ReferenceRun } from '../lib/torch-reference.ts';

/** Targets of the issue, on the same machine, model and corpus. */
const REQUIRED = { tokensPerSecondRatio: 0.5, perplexityRatio: 1.05, predictP50Ms: 2 };
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
  --with-reference      then run the PyTorch reference on the same corpus and compare
  --reference FILE      path of torch-reference.py (required with --with-reference)
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
    if (values['with-reference'] && values.reference === undefined) {
      throw new UsageError('--with-reference needs --reference PATH/torch-reference.py');
    }
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
    const trainingStart = performance.now();
    const cpuStart = process.cpuUsage();
    const { model, history } = await trainLanguageModel({ train, validation: [] }, vocabulary.size, hyperparameters, {
      threads: settings.threads,
      onProgress: (progress) =>
        report(
          () =>
            `epoch ${progress.epoch}/${progress.epochs} batch ${progress.batch}/${progress.batchesPerEpoch} ` +
            `loss ${progress.loss.toFixed(3)} ${whole(progress.tokensPerSecond)} tokens/s, ${whole(progress.etaSeconds)} s left`,
        ),
    });
    const trainingSeconds = (performance.now() - trainingStart) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    // Beside wall time: on a busy machine the share of a core the training got explains its speed.
    const trainingCpuSeconds = (cpu.user + cpu.system) / 1e6;
    try {
      const evaluationStart = performance.now();
      const quality = evaluate(heldOut, lstmPredictor(model));
      const evaluationSeconds = (performance.now() - evaluationStart) / 1000;
      const language = { model: lstmNextWordModel(model), vocabulary };
      const context = (split.heldOut[0] ?? split.train[0]!).slice(0, PREDICT_CONTEXT_WORDS).join(' ');
      const predict = measureLatency(() => predictNextWords(language, context, 5), { warmup: 10, samples: 500 });
      const rates = history.map((epoch) => epoch.tokensPerSecond);
      const ours = {
        trainSentences: train.length,
        heldOutSentences: heldOut.length,
        vocabularySize: vocabulary.size,
        trainTokens: count(train, 0),
        trainTargets: count(train, 1),
        targetTokensPerSecond: rates.map((rate) => round(rate, 1)),
        targetTokensPerSecondMedian: round(median(rates), 1),
        trainLoss: history.map((epoch) => round(epoch.trainLoss, 4)),
        trainingSeconds: round(trainingSeconds, 2),
        trainingCpuSeconds: round(trainingCpuSeconds, 2),
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
      };
      const reference =
        values['with-reference'] && values.reference !== undefined
          ? await runTorchReference(values.reference, values.corpus, settings, values.python)
          : undefined;
      const checks = targetChecks(ours, reference);
      const result = {
        corpus: displayPath(values.corpus),
        machine,
        loadAverageAfter1m: loadAverage(),
        backend,
        settings: { ...settings, sequences: `windows of ${settings.maxLen} steps (product), no truncation`, clipNorm: null },
        ours,
        ...(reference === undefined ? {} : { reference: { command: reference.command, seconds: round(reference.seconds, 2), ...reference.result } }),
        checks,
      };
      const softmax = settings.sampled === undefined ? '' : `, sampled softmax of ${settings.sampled}`;
      return { result, text: summary(`${displayPath(values.corpus)}${softmax}`, machine.backend, settings.epochs, ours, reference, checks, machineLine(machine)) };
    } finally {
      model.dispose();
    }
  },
});

type OurFigures = {
  trainSentences: number;
  heldOutSentences: number;
  vocabularySize: number;
  trainTokens: number;
  trainTargets: number;
  targetTokensPerSecondMedian: number;
  trainingSeconds: number;
  trainingCpuSeconds: number;
  heldOut: { targets: number; oovRate: number; perplexity: number; top1: number; top5: number };
  predict: { p50Ms: number; p99Ms: number };
  peakRssMb: number;
};

interface Check {
  value: number;
  required: string;
  met: boolean;
}

/** The targets; the ratios only when the reference ran beside this run. */
function targetChecks(ours: OurFigures, reference: ReferenceRun | undefined): Record<string, Check> {
  const checks: Record<string, Check> = {
    predictP50Ms: {
      value: ours.predict.p50Ms,
      required: `<= ${REQUIRED.predictP50Ms}`,
      met: ours.predict.p50Ms <= REQUIRED.predictP50Ms,
    },
  };
  if (reference === undefined) return checks;
  const speed = ours.targetTokensPerSecondMedian / reference.result.tokens_per_s_median;
  const perplexity = ours.heldOut.perplexity / reference.result.heldout_perplexity;
  checks['tokensPerSecondRatio'] = {
    value: round(speed),
    required: `>= ${REQUIRED.tokensPerSecondRatio}`,
    met: speed >= REQUIRED.tokensPerSecondRatio,
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
  reference: ReferenceRun | undefined,
  checks: Record<string, Check>,
  machine: string,
): string {
  const ref = reference?.result;
  const ratio = (a: number, b: number | undefined) => (b === undefined ? '' : (a / b).toFixed(2));
  const rows: string[][] = [
    ['target tokens/s', whole(ours.targetTokensPerSecondMedian), ref ? whole(ref.tokens_per_s_median) : '', ratio(ours.targetTokensPerSecondMedian, ref?.tokens_per_s_median)],
    [`held-out perplexity after ${epochs} epoch(s)`, ours.heldOut.perplexity.toFixed(2), ref ? ref.heldout_perplexity.toFixed(2) : '', ratio(ours.heldOut.perplexity, ref?.heldout_perplexity)],
    ['held-out top-1 / top-5', `${percent(ours.heldOut.top1)} / ${percent(ours.heldOut.top5)}`, ref ? `${percent(ref.heldout_top1)} / ${percent(ref.heldout_top5)}` : '', ''],
    ['predict p50 / p99 (top-5)', `${ours.predict.p50Ms.toFixed(2)} / ${ours.predict.p99Ms.toFixed(2)} ms`, ref ? `${ref.predict_ms_p50.toFixed(2)} ms / -` : '', ratio(ours.predict.p50Ms, ref?.predict_ms_p50)],
    ['peak RSS', `${whole(ours.peakRssMb)} MB`, ref ? `${whole(ref.peak_rss_mb)} MB` : '', ''],
    ['training targets per epoch', whole(ours.trainTargets), ref ? whole(ref.train_tokens) : '', ''],
    ['vocabulary', whole(ours.vocabularySize), ref ? whole(ref.vocab) : '', ''],
  ];
  const headers = ['', `ours (tfjs ${backend})`, ...(ref ? [`PyTorch ${ref.torch}, 1 thread`, 'ratio'] : [])];
  const table = markdownTable(headers, ref ? rows : rows.map((row) => row.slice(0, 2)));
  const checkLines = Object.entries(checks).map(([name, c]) => `${c.met ? 'met' : 'NOT met'}: ${name} ${c.value} (required ${c.required})`);
  return [
    `train: ${epochs} epoch(s) on ${corpus}`,
    `  ${whole(ours.trainSentences)} training sentences (${whole(ours.trainTokens)} tokens + one end of sentence each), ${whole(ours.heldOutSentences)} held out (${percent(ours.heldOut.oovRate)} unknown words), ${ours.trainingSeconds.toFixed(1)} s training (${ours.trainingCpuSeconds.toFixed(1)} s CPU)`,
    `  tokens: ours Intl.Segmenter words with windows; the reference's regex tokens truncated to --max-len, no end-of-sentence target`,
    `  machine: ${machine}`,
    '',
    table,
    '',
    ...checkLines,
  ].join('\n');
}

/** Word tokens of sentences plus `perSentence` extra targets each (1 = the end of sentence). */
function count(sentences: readonly number[][], perSentence: number): number {
  return sentences.reduce((sum, sentence) => sum + sentence.length + perSentence, 0);
}
