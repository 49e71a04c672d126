/**
 * Scenario `quality`: the product's quality table. For each corpus, every 10th sentence is held
 * out and the rest goes through the product's own path: imported into a fresh guild of a
 * temporary database (`importLines`), trained by the training job with the default settings
 * (corpus-scaled hyperparameters, its own validation split and early stopping), then evaluated as
 * the command line's `eval` does: the stored LSTM, and a Kneser-Ney 3-gram built from the guild's
 * corpus with the model's vocabulary. `--sizes` repeats this on seeded samples of several sizes.
 *
 * @module
 */
import { importLines } from '../../src/app/corpus-import.ts';
import { initBackend, type BackendName } from '../../src/lm/backend.ts';
import { evaluate, type EvaluationResult, type NextTokenPredictor } from '../../src/lm/evaluate.ts';
import { readHyperparameters, type Hyperparameters } from '../../src/lm/hyperparameters.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';
import { unpackModel, type UnpackedModel } from '../../src/lm/model-package.ts';
import { lstmPredictor } from '../../src/lm/predict.ts';
import { EOS, UNK } from '../../src/lm/special-tokens.ts';
import { tokenize } from '../../src/lm/tokenizer.ts';
import type { Store } from '../../src/store/index.ts';
import {
  combinedPredictor,
  mixturePerplexity,
  servedCalibration,
  servedFrequencyWeights,
  servedGeometricWeights,
  type GeometricWeights,
  type MixtureWeights,
  type ServedKind,
} from '../../src/lm/served-model.ts';
import type { NetworkCalibration } from '../../src/lm/network-calibration.ts';
import { countsWithEnds, frequencyMixture, type FrequencyWeights } from '../../src/lm/frequency-weights.ts';
import { runTrainingJob } from '../../src/training/job.ts';
import { readModelMetrics } from '../../src/training/metrics.ts';
import { choiceOption, integerOption, positiveNumberOption, sizesOption } from '../lib/args.ts';
import { DEFAULT_CORPUS, holdOutEveryTenth, loadCorpus, sampleCorpus, sampleEvenly, type CorpusSize } from '../lib/corpus.ts';
import { markdownTable, percent, round, whole } from '../lib/format.ts';
import { describeMachine, loadAverage, machineLine } from '../lib/machine.ts';
import { sampleRss } from '../lib/memory.ts';
import { throttledProgress } from '../lib/progress.ts';
import { withTemporaryStore } from '../lib/temporary-store.ts';
import { defineScenario, UsageError } from '../lib/scenario.ts';

const GUILD = 'bench';
/**
 * The incremental budget; this is a full run, under the product's full budget unless
 * `--full-budget` replaces it.
 */
const BUDGET_MINUTES = 5;

/** Perplexity and accuracy of one model on the held-out sentences. */
interface ModelQuality {
  perplexity: number;
  top1: number;
  top5: number;
  /** Perplexity over the targets that are not the unknown word (known words and ends of sentence). */
  knownPerplexity: number;
  /** Geometric mean of the probability given to unknown-word targets; null when there are none. */
  unknownProbability: number | null;
}

/**
 * The models each row scores on the held-out sentences, by JSON key: the LSTM, the 3-gram, and
 * their mixture with the λ the training job fitted (what the product serves). A new model is a new
 * key here, its evaluation in {@link evaluateModels} and its label in {@link MODEL_LABELS}; the
 * table and the JSON pick it up from there.
 */
interface ModelScores {
  lstm: ModelQuality;
  kneserNey3: ModelQuality;
  mix: ModelQuality;
}

/** Column labels of each scored model. */
const MODEL_LABELS: Record<keyof ModelScores, string> = { lstm: 'LSTM', kneserNey3: 'KN-3', mix: 'mix' };

/** How the training job trained the LSTM of a row. */
interface TrainingFigures {
  seconds: number;
  /** Epochs run, and the epochs the hyperparameter rules planned (`maxEpochs`). */
  epochs: number;
  plannedEpochs: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Whether the full run's time budget ended training before its planned epochs. */
  stoppedAtDeadline: boolean;
  /** Whether the model holds its averaged weights rather than the best epoch's. */
  averagedWeights: boolean;
  /** Epochs the kept settings trained again on every sentence, held-out ones included (0: none). */
  refitEpochs: number;
}

/** One row of the quality table: one corpus at one size. */
interface QualityRow {
  corpus: string;
  /** The size asked for: a seeded sample of that many sentences, or the whole corpus. */
  size: CorpusSize;
  /** Sentences of the corpus (after sampling). */
  sentences: number;
  /** Word tokens of those sentences (product tokenizer). */
  tokens: number;
  /** Training sentences the import accepted, and why others were skipped. */
  imported: number;
  skipped: Record<string, number>;
  heldOutSentences: number;
  /**
   * Held-out sentences whose tokens are those of a stored training sentence: text the models have
   * seen verbatim (a corpus that repeats itself), which a 3-gram's counts predict almost exactly.
   */
  heldOutAlsoInTraining: number;
  /** Held-out targets: every word plus one end of sentence per sentence. */
  heldOutTargets: number;
  oovRate: number;
  models: ModelScores;
  /** The model the training job chose to answer predictions, on its own validation split. */
  served: ServedKind;
  /**
   * The perplexities that choice compared, on the job's validation split (a word its training side
   * lacks reads as unknown there, as in the held-out sentences). Null without validation.
   */
  validation: {
    lstmPerplexity: number;
    kneserNeyPerplexity: number;
    /** The chosen combination's: the geometric one's when {@link exponents} is set, else the linear one's. */
    mixPerplexity: number;
    lambda: number;
    /** The exponents of the geometric combination when it serves, else null. */
    exponents: GeometricWeights | null;
    /** The network's calibration before the linear mixture that serves, else null. */
    calibration: NetworkCalibration | null;
    /** λ by word frequency when the linear mixture that serves weighs its parts so, else null. */
    frequencyWeights: FrequencyWeights | null;
  } | null;
  /** The hyperparameter candidate that won the training job's search, and how many it compared. */
  search: { winner: string; candidates: number } | null;
  vocabularySize: number;
  hyperparameters: Hyperparameters;
  training: TrainingFigures;
  /** 1-minute load average when this row's training started and when its evaluation ended. */
  loadAverage: { before: number; after: number };
  /** Peak resident memory while this corpus was trained and evaluated (sampled). */
  peakRssMb: number;
}

/** A column of the printed table. */
interface Column {
  header: string;
  cell(row: QualityRow): string;
}

export default defineScenario({
  summary: "the quality table: each corpus trained through the product's import and training job, LSTM against Kneser-Ney 3-gram",
  usage: `  --corpus NAME|FILE  a named corpus of bench/corpora/manifest.ts (fetched into bench/.cache/ when
                      missing) or a file of one sentence per line; repeat for several corpora
                      (default: the bundled data/sample-corpus.txt)
  --sizes LIST        comma-separated sentence counts and/or 'all', e.g. 300,1000,3000,all: each is a
                      sample drawn with a fixed seed before the hold-out (default: all)
  --sample N          instead of --sizes: N sentences spread evenly over the corpus (every k-th line)
  --full-budget MIN   the full retrain's time budget in minutes (default: the product's 30); on a busy
                      machine a longer one lets training run the epochs it would run alone
  --backend NAME      node, wasm or cpu (default: the product's choice)`,
  options: {
    corpus: { type: 'string', multiple: true },
    sizes: { type: 'string' },
    sample: { type: 'string' },
    'full-budget': { type: 'string' },
    backend: { type: 'string' },
  },

  async run(values) {
    if (values.sizes !== undefined && values.sample !== undefined) throw new UsageError('--sizes and --sample exclude each other');
    const sizes = sizesOption(values.sizes, 'sizes', ['all']);
    const sample = values.sample === undefined ? undefined : integerOption(values.sample, 'sample', 10, 10);
    const fullBudget = values['full-budget'] === undefined ? undefined : positiveNumberOption(values['full-budget'], 'full-budget', 0);
    const corpora = (values.corpus ?? [DEFAULT_CORPUS]).map((corpus) => loadCorpus(corpus, (line) => process.stderr.write(`${line}\n`)));
    const backend = await initBackend(choiceOption<BackendName>(values.backend, 'backend', ['node', 'wasm', 'cpu']));
    const machine = describeMachine(backend);
    const rows: QualityRow[] = [];
    for (const { name, lines } of corpora) {
      const runs: [CorpusSize, string[]][] =
        sample === undefined ? distinctSizes(sizes, lines.length).map((size) => [size, sampleCorpus(lines, size)]) : [[sample, sampleEvenly(lines, sample)]];
      for (const [size, sentences] of runs) {
        const row = await measureCorpus(name, size, sentences, fullBudget);
        // Each row also goes to stderr as it finishes: a long run keeps what it measured.
        process.stderr.write(`quality row ${JSON.stringify(row)}\n`);
        rows.push(row);
      }
    }
    const result = { machine, loadAverageAfter1m: loadAverage(), sizes: sample === undefined ? sizes : null, sample: sample ?? null, fullBudgetMinutes: fullBudget ?? null, rows };
    const sampling =
      (sample === undefined ? `sizes ${sizes.join(', ')} (seeded samples)` : `${sample}-sentence samples spread over each corpus`) +
      (fullBudget === undefined ? '' : `; full-retrain budget ${fullBudget} minutes`);
    const text = [
      `quality: every 10th sentence held out, the rest imported and trained with the product's defaults; ${sampling}`,
      `  machine: ${machineLine(machine)}`,
      '',
      markdownTable(
        COLUMNS.map((column) => column.header),
        rows.map((row) => COLUMNS.map((column) => column.cell(row))),
      ),
    ].join('\n');
    return { result, text };
  },
});

/** The sizes to run on a corpus of `length` sentences, in order; sizes of the whole corpus become one `'all'`. */
function distinctSizes(sizes: readonly CorpusSize[], length: number): CorpusSize[] {
  return [...new Set(sizes.map((size) => (size === 'all' || size >= length ? 'all' : size)))];
}

async function measureCorpus(corpus: string, size: CorpusSize, lines: readonly string[], fullBudgetMinutes: number | undefined): Promise<QualityRow> {
  const { train, heldOut } = holdOutEveryTenth(lines);
  const loadBefore = loadAverage();
  const memory = sampleRss();
  try {
    return await withTemporaryStore(async (store) => {
      const imported = importLines(store, GUILD, train, { authorId: 'bench', source: 'import' });
      const started = performance.now();
      await trainGuild(store, `${corpus} (${size})`, fullBudgetMinutes);
      const trainingSeconds = (performance.now() - started) / 1000;

      const stored = store.servingModel(GUILD);
      if (stored === undefined) throw new Error(`${corpus}: the training job stored no serving model`);
      const metrics = readModelMetrics(stored.metrics);
      const { model, vocabulary } = await unpackModel(stored);
      try {
        const heldOutTokens = heldOut.map((line) => tokenize(line).tokens);
        const heldOutIds = heldOutTokens.map((tokens) => vocabulary.encode(tokens).ids).filter((ids) => ids.length > 0);
        const trainingSentences = store.corpus(GUILD).sentences;
        const corpusIds = trainingSentences.map((tokens) => vocabulary.encode(tokens).ids);
        const trainingTexts = new Set(trainingSentences.map((tokens) => tokens.join(' ')));
        const lambda = metrics.servedModel?.lstmWeight ?? 1;
        const geometric = servedGeometricWeights(metrics.servedModel);
        const calibration = servedCalibration(metrics.servedModel);
        const frequencyWeights = servedFrequencyWeights(metrics.servedModel);
        const byFrequency = frequencyWeights && frequencyMixture(frequencyWeights, countsWithEnds(vocabulary.toJSON().counts, trainingSentences.length), trainingSentences.length);
        const results = evaluateModels(heldOutIds, corpusIds, model, vocabulary.size, { lstmWeight: lambda, geometric, calibration, byFrequency });
        const hyperparameters = readHyperparameters(stored.hyperparameters);
        return {
          corpus,
          size,
          sentences: lines.length,
          tokens: lines.reduce((sum, line) => sum + tokenize(line).tokens.length, 0),
          imported: imported.added,
          skipped: imported.skipped,
          heldOutSentences: results.lstm.result.sentences,
          heldOutAlsoInTraining: heldOutTokens.filter((tokens) => trainingTexts.has(tokens.join(' '))).length,
          heldOutTargets: results.lstm.result.tokens,
          oovRate: round(results.lstm.result.oovRate, 4),
          models: Object.fromEntries(Object.entries(results).map(([key, result]) => [key, figures(result)])) as unknown as ModelScores,
          served: metrics.servedModel?.served ?? 'lstm',
          validation:
            metrics.servedModel == null
              ? null
              : {
                  lstmPerplexity: round(metrics.servedModel.lstmPerplexity, 2),
                  kneserNeyPerplexity: round(metrics.servedModel.kneserNeyPerplexity, 2),
                  mixPerplexity: round(mixturePerplexity(metrics.servedModel), 2),
                  lambda: round(lambda, 3),
                  exponents: geometric && { lstmExponent: round(geometric.lstmExponent, 3), kneserNeyExponent: round(geometric.kneserNeyExponent, 3) },
                  calibration: calibration && { exponent: round(calibration.exponent, 3), unknownScale: round(calibration.unknownScale, 3) },
                  frequencyWeights: frequencyWeights && { ...frequencyWeights, lstmWeights: frequencyWeights.lstmWeights.map((weight) => round(weight, 3)) },
                },
          search:
            metrics.search == null
              ? null
              : { winner: metrics.search.trials.find((trial) => trial.outcome === 'won')?.name ?? '–', candidates: metrics.search.trials.length },
          vocabularySize: vocabulary.size,
          hyperparameters,
          training: {
            seconds: round(trainingSeconds, 1),
            epochs: metrics.history.length,
            // A refit network stores the epochs it replayed; the rules' plan is the defaults'.
            plannedEpochs: metrics.refit === undefined ? hyperparameters.maxEpochs : (metrics.searchedFrom?.maxEpochs ?? hyperparameters.maxEpochs),
            bestEpoch: metrics.bestEpoch,
            stoppedEarly: metrics.stoppedEarly,
            stoppedAtDeadline: metrics.stoppedAtDeadline,
            averagedWeights: metrics.weightAverage?.kept ?? false,
            refitEpochs: metrics.refit?.epochs ?? 0,
          },
          loadAverage: { before: loadBefore, after: loadAverage() },
          peakRssMb: round(memory.stop(), 1),
        };
      } finally {
        model.dispose();
      }
    });
  } finally {
    memory.stop();
  }
}

/**
 * One full training run of the guild, in-process, exactly as a queued run is executed
 * (`fullBudgetMinutes` replaces the product's full-retrain budget when given).
 */
async function trainGuild(store: Store, corpus: string, fullBudgetMinutes: number | undefined): Promise<void> {
  store.enqueueRun(GUILD, { kind: 'full', trigger: 'cli', requestedBy: 'bench' });
  const run = store.claimNextRun();
  if (run === undefined) throw new Error('the queued training run could not be claimed');
  const report = throttledProgress();
  const outcome = await runTrainingJob(store, run, {
    settings: { budgetMinutes: BUDGET_MINUTES, ...(fullBudgetMinutes === undefined ? {} : { fullBudgetMinutes }) },
    onProgress: (progress) =>
      report(
        () =>
          `${corpus}: ${progress.phase} epoch ${progress.epoch}/${progress.maxEpochs} batch ${progress.batch}/${progress.batchesPerEpoch}` +
          (progress.loss === null ? '' : ` loss ${progress.loss.toFixed(3)}`),
      ),
  });
  if (outcome.status !== 'succeeded') {
    throw new Error(`${corpus}: training ${outcome.status}${outcome.status === 'failed' ? `: ${outcome.error}` : ''}`);
  }
}

/** Every model of {@link ModelScores} on the held-out sentences (ids of the model's vocabulary). */
function evaluateModels(
  heldOutIds: readonly number[][],
  corpusIds: readonly number[][],
  model: UnpackedModel['model'],
  vocabularySize: number,
  mixture: MixtureWeights,
): Record<keyof ModelScores, Evaluation> {
  const lstm = lstmPredictor(model);
  const kneserNey = KneserNeyTrigram.trainWithUnknownWords(corpusIds, vocabularySize);
  return {
    lstm: evaluateSplit(heldOutIds, lstm),
    kneserNey3: evaluateSplit(heldOutIds, kneserNey),
    mix: evaluateSplit(heldOutIds, combinedPredictor(lstm, kneserNey, mixture)),
  };
}

/** `evaluate`'s result, and the loss of the unknown-word targets apart from the others. */
interface Evaluation {
  result: EvaluationResult;
  known: { targets: number; loss: number };
  unknown: { targets: number; loss: number };
}

/**
 * Evaluates like `evaluate` and splits the loss between unknown-word targets and the others: a
 * model can lose on held-out text by its words or by how little it expects a word it does not
 * know. The split is taken from the distributions `evaluate` asks for, in its own pass.
 */
function evaluateSplit(heldOutIds: readonly number[][], predictor: NextTokenPredictor): Evaluation {
  const known = { targets: 0, loss: 0 };
  const unknown = { targets: 0, loss: 0 };
  const observed: NextTokenPredictor = {
    sentenceDistributions(ids) {
      const distributions = predictor.sentenceDistributions(ids);
      distributions.forEach((distribution, position) => {
        const target = position < ids.length ? ids[position]! : EOS;
        const share = target === UNK ? unknown : known;
        share.targets += 1;
        share.loss -= Math.log(distribution[target] ?? Number.NaN);
      });
      return distributions;
    },
  };
  return { result: evaluate(heldOutIds, observed), known, unknown };
}

function figures({ result, known, unknown }: Evaluation): ModelQuality {
  return {
    perplexity: round(result.perplexity, 2),
    top1: round(result.top1, 4),
    top5: round(result.top5, 4),
    knownPerplexity: round(Math.exp(known.loss / known.targets), 2),
    unknownProbability: unknown.targets === 0 ? null : Number(Math.exp(-unknown.loss / unknown.targets).toPrecision(3)),
  };
}

const MODEL_COLUMNS: Column[] = (Object.keys(MODEL_LABELS) as (keyof ModelScores)[]).flatMap((key) => [
  { header: `${MODEL_LABELS[key]} ppl`, cell: (row: QualityRow) => row.models[key].perplexity.toFixed(1) },
  { header: `${MODEL_LABELS[key]} top-1`, cell: (row: QualityRow) => percent(row.models[key].top1) },
  { header: `${MODEL_LABELS[key]} top-5`, cell: (row: QualityRow) => percent(row.models[key].top5) },
  { header: `${MODEL_LABELS[key]} ppl known / p(unk)`, cell: (row: QualityRow) => knownAndUnknown(row.models[key]) },
]);

/** A model's held-out perplexity relative to another's, as a signed percentage. */
function relative(model: ModelQuality, baseline: ModelQuality): string {
  const change = (model.perplexity / baseline.perplexity - 1) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(1)}%`;
}

/**
 * The quality targets for what the product serves (the mixture): never above the 3-gram's
 * perplexity; from 3,000 sentences 15% below it and a better top-5; from 300 to 1,000 sentences 3%
 * below it.
 */
function targetVerdict(row: Pick<QualityRow, 'sentences' | 'models'>): string {
  const { mix, kneserNey3 } = row.models;
  const ratio = mix.perplexity / kneserNey3.perplexity;
  const missed: string[] = [];
  if (ratio > 1) missed.push('above KN-3');
  if (row.sentences >= 3000 && ratio > 0.85) missed.push('not 15% below');
  if (row.sentences >= 3000 && mix.top5 <= kneserNey3.top5) missed.push('top-5 not above');
  if (row.sentences >= 300 && row.sentences <= 1000 && ratio > 0.97) missed.push('not 3% below');
  return missed.length === 0 ? 'met' : `missed: ${missed.join(', ')}`;
}

/** λ of the linear mixture, or `×` and the exponents of the geometric one. */
function servedWeights(validation: QualityRow['validation']): string {
  if (validation === null) return '';
  const { exponents } = validation;
  return exponents === null ? ` (${validation.lambda})` : ` (× ${exponents.lstmExponent} / ${exponents.kneserNeyExponent})`;
}

function knownAndUnknown(quality: ModelQuality): string {
  return `${quality.knownPerplexity.toFixed(1)} / ${quality.unknownProbability === null ? '–' : quality.unknownProbability.toExponential(1)}`;
}

const COLUMNS: Column[] = [
  { header: 'corpus', cell: (row) => row.corpus },
  { header: 'size', cell: (row) => (row.size === 'all' ? 'all' : whole(row.size)) },
  { header: 'sentences', cell: (row) => whole(row.sentences) },
  { header: 'held out (also in training)', cell: (row) => `${whole(row.heldOutSentences)} (${whole(row.heldOutAlsoInTraining)})` },
  { header: 'tokens', cell: (row) => whole(row.tokens) },
  { header: 'OOV', cell: (row) => percent(row.oovRate) },
  ...MODEL_COLUMNS,
  { header: 'LSTM / mix vs KN-3', cell: (row) => `${relative(row.models.lstm, row.models.kneserNey3)} / ${relative(row.models.mix, row.models.kneserNey3)}` },
  { header: 'serves (λ or exponents)', cell: (row) => `${row.served}${servedWeights(row.validation)}` },
  { header: 'target', cell: (row) => targetVerdict(row) },
  { header: 'search winner', cell: (row) => (row.search === null ? '–' : `${row.search.winner} (of ${row.search.candidates})`) },
  {
    header: 'training',
    cell: ({ training, hyperparameters: hp }) =>
      `${whole(training.seconds)} s, ${training.epochs} of ${training.plannedEpochs} epochs` +
      `${training.stoppedAtDeadline ? ' (time budget)' : training.stoppedEarly ? ' (early stop)' : ''}` +
      `${training.refitEpochs > 0 ? `, ${training.refitEpochs} again on every sentence` : ''} (E${hp.embeddingSize}/H${hp.hiddenSize})`,
  },
  { header: 'load', cell: (row) => `${row.loadAverage.before} → ${row.loadAverage.after}` },
];
