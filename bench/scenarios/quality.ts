/**
 * Scenario `quality`: the product's quality table. For each corpus, every 10th sentence is held
 * out and the rest goes through the product's own path: imported into a fresh guild of a
 * temporary database (`importLines`), trained by the training job with the default settings
 * (corpus-scaled hyperparameters, its own validation split and early stopping), then evaluated as
 * the command line's `eval` does: the stored LSTM, and a Kneser-Ney 3-gram built from the guild's
 * corpus with the model's vocabulary.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importLines } from '../../src/app/corpus-import.ts';
import { initBackend, type BackendName } from '../../src/lm/backend.ts';
import { evaluate, type EvaluationResult } from '../../src/lm/evaluate.ts';
import { readHyperparameters, type Hyperparameters } from '../../src/lm/hyperparameters.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';
import { unpackModel } from '../../src/lm/model-package.ts';
import { lstmPredictor } from '../../src/lm/predict.ts';
import { tokenize } from '../../src/lm/tokenizer.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import type { ServedKind } from '../../src/lm/served-model.ts';
import { runTrainingJob } from '../../src/training/job.ts';
import { readModelMetrics } from '../../src/training/metrics.ts';
import { choiceOption, integerOption } from '../lib/args.ts';
import { DEFAULT_CORPUS, displayPath, holdOutEveryTenth, readCorpus, sampleEvenly } from '../lib/corpus.ts';
import { markdownTable, percent, round, whole } from '../lib/format.ts';
import { describeMachine, loadAverage, machineLine } from '../lib/machine.ts';
import { sampleRss } from '../lib/memory.ts';
import { throttledProgress } from '../lib/progress.ts';
import { defineScenario } from '../lib/scenario.ts';

const GUILD = 'bench';
/** The incremental budget; this is a full run, which keeps the product's default full budget. */
const BUDGET_MINUTES = 5;

/** Perplexity and accuracy of one model on the held-out sentences. */
interface ModelQuality {
  perplexity: number;
  top1: number;
  top5: number;
}

/** One row of the quality table. */
interface QualityRow {
  corpus: string;
  /** Sentences of the corpus (after sampling). */
  sentences: number;
  /** Word tokens of those sentences (product tokenizer). */
  tokens: number;
  /** Training sentences the import accepted, and why others were skipped. */
  imported: number;
  skipped: Record<string, number>;
  heldOutSentences: number;
  /** Held-out targets: every word plus one end of sentence per sentence. */
  heldOutTargets: number;
  oovRate: number;
  lstm: ModelQuality;
  kneserNey3: ModelQuality;
  vocabularySize: number;
  hyperparameters: Hyperparameters;
  epochs: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Whether the full run's time budget ended training before its planned epochs. */
  stoppedAtDeadline: boolean;
  /** The model the training job chose to answer predictions, on its own validation split. */
  served: ServedKind;
  trainingSeconds: number;
  /** Peak resident memory while this corpus was trained and evaluated (sampled). */
  peakRssMb: number;
}

export default defineScenario({
  summary: "the quality table: each corpus trained through the product's import and training job, LSTM against Kneser-Ney 3-gram",
  usage: `  --corpus FILE     one sentence per line; repeat for several corpora (default: the bundled data/sample-corpus.txt)
  --sample N        first take N sentences spread over each corpus (every k-th line)
  --backend NAME    node, wasm or cpu (default: the product's choice)`,
  options: {
    corpus: { type: 'string', multiple: true },
    sample: { type: 'string' },
    backend: { type: 'string' },
  },

  async run(values) {
    const corpora = values.corpus ?? [DEFAULT_CORPUS];
    const sample = values.sample === undefined ? undefined : integerOption(values.sample, 'sample', 10, 10);
    const backend = await initBackend(choiceOption<BackendName>(values.backend, 'backend', ['node', 'wasm', 'cpu']));
    const machine = describeMachine(backend);
    const rows: QualityRow[] = [];
    for (const corpus of corpora) {
      const lines = readCorpus(corpus);
      rows.push(await measureCorpus(displayPath(corpus), sample === undefined ? lines : sampleEvenly(lines, sample)));
    }
    const result = { machine, loadAverageAfter1m: loadAverage(), sample: sample ?? null, rows };
    const text = [
      `quality: every 10th sentence held out, the rest imported and trained with the product's defaults${sample === undefined ? '' : `, ${sample}-sentence samples`}`,
      `  machine: ${machineLine(machine)}`,
      '',
      table(rows),
    ].join('\n');
    return { result, text };
  },
});

async function measureCorpus(corpus: string, lines: readonly string[]): Promise<QualityRow> {
  const { train, heldOut } = holdOutEveryTenth(lines);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-quality-'));
  const store = openStore(path.join(directory, 'bench.sqlite'));
  const memory = sampleRss();
  try {
    const imported = importLines(store, GUILD, train, { authorId: 'bench', source: 'import' });
    const started = performance.now();
    await trainGuild(store, corpus);
    const trainingSeconds = (performance.now() - started) / 1000;

    const stored = store.servingModel(GUILD);
    if (stored === undefined) throw new Error(`${corpus}: the training job stored no serving model`);
    const metrics = readModelMetrics(stored.metrics);
    const { model, vocabulary } = await unpackModel(stored);
    try {
      const heldOutIds = heldOut.map((line) => vocabulary.encode(tokenize(line).tokens).ids).filter((ids) => ids.length > 0);
      const corpusIds = store.corpus(GUILD).sentences.map((tokens) => vocabulary.encode(tokens).ids);
      const lstm = evaluate(heldOutIds, lstmPredictor(model));
      const kneserNey3 = evaluate(heldOutIds, KneserNeyTrigram.train(corpusIds, vocabulary.size));
      return {
        corpus,
        sentences: lines.length,
        tokens: lines.reduce((sum, line) => sum + tokenize(line).tokens.length, 0),
        imported: imported.added,
        skipped: imported.skipped,
        heldOutSentences: lstm.sentences,
        heldOutTargets: lstm.tokens,
        oovRate: round(lstm.oovRate, 4),
        lstm: figures(lstm),
        kneserNey3: figures(kneserNey3),
        vocabularySize: vocabulary.size,
        hyperparameters: readHyperparameters(stored.hyperparameters),
        epochs: metrics.history.length,
        bestEpoch: metrics.bestEpoch,
        stoppedEarly: metrics.stoppedEarly,
        stoppedAtDeadline: metrics.stoppedAtDeadline,
        served: metrics.servedModel?.served ?? 'lstm',
        trainingSeconds: round(trainingSeconds, 1),
        peakRssMb: round(memory.stop(), 1),
      };
    } finally {
      model.dispose();
    }
  } finally {
    memory.stop();
    store.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

/** One full training run of the guild, in-process, exactly as a queued run is executed. */
async function trainGuild(store: Store, corpus: string): Promise<void> {
  store.enqueueRun(GUILD, { kind: 'full', trigger: 'cli', requestedBy: 'bench' });
  const run = store.claimNextRun();
  if (run === undefined) throw new Error('the queued training run could not be claimed');
  const report = throttledProgress();
  const outcome = await runTrainingJob(store, run, {
    settings: { budgetMinutes: BUDGET_MINUTES },
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

function figures(result: EvaluationResult): ModelQuality {
  return { perplexity: round(result.perplexity, 2), top1: round(result.top1, 4), top5: round(result.top5, 4) };
}

function table(rows: readonly QualityRow[]): string {
  return markdownTable(
    ['corpus', 'sentences', 'held out', 'tokens', 'OOV', 'LSTM ppl', 'LSTM top-1', 'LSTM top-5', 'KN-3 ppl', 'KN-3 top-1', 'KN-3 top-5', 'serves', 'training'],
    rows.map((row) => [
      row.corpus,
      whole(row.sentences),
      whole(row.heldOutSentences),
      whole(row.tokens),
      percent(row.oovRate),
      row.lstm.perplexity.toFixed(1),
      percent(row.lstm.top1),
      percent(row.lstm.top5),
      row.kneserNey3.perplexity.toFixed(1),
      percent(row.kneserNey3.top1),
      percent(row.kneserNey3.top5),
      row.served,
      `${whole(row.trainingSeconds)} s, ${row.epochs}${row.stoppedAtDeadline ? ` of ${row.hyperparameters.maxEpochs} (time budget)` : ''} epochs (E${row.hyperparameters.embeddingSize}/H${row.hyperparameters.hiddenSize})`,
    ]),
  );
}
