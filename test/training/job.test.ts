import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunProgress } from '../../src/app/services.ts';
import { unpackModel } from '../../src/lm/model-package.ts';
import { keptEpochs } from '../../src/lm/refit.ts';
import { BOS } from '../../src/lm/special-tokens.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import type { RunKind } from '../../src/store/types.ts';
import { runTrainingJob, type JobOptions } from '../../src/training/job.ts';
import { keptWeightsOf, readModelMetrics } from '../../src/training/metrics.ts';
import { readRunSummary } from '../../src/training/run-summary.ts';
import { TINY_CORPUS, searchableCorpus, teachSentences, templatedCorpus } from './corpus.ts';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'training-job-'));
  store = openStore(path.join(dir, 'bot.sqlite'));
});

afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Queues, claims and runs one job for the guild. */
async function train(guildId: string, kind: RunKind, options: Partial<JobOptions> = {}) {
  const queued = store.enqueueRun(guildId, { kind, trigger: 'cli' }).run;
  const run = store.claimNextRun();
  expect(run?.id).toBe(queued.id);
  const result = await runTrainingJob(store, run!, { settings: { budgetMinutes: 1 }, ...options });
  return { result, run: store.getRun(queued.id)! };
}

/** The most probable next word after `words`, according to the guild's serving model. */
async function predictAfter(guildId: string, words: string[]): Promise<string> {
  const { model, vocabulary } = await unpackModel(store.servingModel(guildId)!);
  try {
    const distribution = model.nextDistribution([BOS, ...vocabulary.encode(words).ids]);
    let best = 0;
    distribution.forEach((p, id) => {
      if (p > distribution[best]!) best = id;
    });
    return vocabulary.tokenOf(best);
  } finally {
    model.dispose();
  }
}

describe('training job', () => {
  it('trains a first model from scratch, promotes it and records the run', async () => {
    teachSentences(store, 'g', TINY_CORPUS);
    const phases = new Set<RunProgress['phase']>();
    let lastTraining: RunProgress | undefined;
    const { result, run } = await train('g', 'full', {
      onProgress: (progress) => {
        phases.add(progress.phase);
        if (progress.phase === 'training') lastTraining = progress;
      },
    });

    expect(result).toMatchObject({ status: 'succeeded', modelVersion: 1, promoted: true, sentences: 10 });
    // Ten sentences are too few for a validation split: the settings are cross-validated first.
    expect([...phases]).toEqual(['preparing', 'cross-validating', 'training', 'saving']);
    expect(lastTraining?.batch).toBe(lastTraining?.batchesPerEpoch);
    expect(lastTraining?.tokensPerSecond).toBeGreaterThan(0);
    expect(run).toMatchObject({ status: 'succeeded', error: null });
    const summary = readRunSummary(run.summary);
    expect(summary).toMatchObject({ modelVersion: 1, promoted: true, mode: 'full', sentences: 10 });

    const serving = store.servingModel('g')!;
    expect(serving).toMatchObject({ version: 1, corpusSentences: 10, corpusRevision: store.corpusRevision('g') });
    expect(run.modelId).toBe(serving.id);
    const metrics = readModelMetrics(serving.metrics);
    expect(metrics.history).toHaveLength(summary.epochs);
    expect(metrics.trainTargets).toBe(TINY_CORPUS.reduce((sum, s) => sum + s.split(' ').length + 1, 0));
    expect(await predictAfter('g', ['我', '喜欢'])).toBe('吃');
    expect(await predictAfter('g', ['他', '每天', '早上'])).toBe('喝');
  });

  it('records the weight average and reports the validation loss of the weights it keeps', async () => {
    teachSentences(store, 'g', templatedCorpus());
    const averaged = { validationFraction: 0.25, maxEpochs: 6, learningRate: 0.05, weightAveragingStart: 0.5 };
    const { run } = await train('g', 'full', { settings: { budgetMinutes: 1, hyperparameters: averaged } });
    const metrics = readModelMetrics(store.servingModel('g')!.metrics);
    const average = metrics.weightAverage!;
    expect(average.snapshots).toBeGreaterThan(1);
    const bestEpochLoss = metrics.history[metrics.bestEpoch - 1]!.validationLoss!;
    // A large rate leaves the last epochs noisy, so their average validates better than any of them.
    expect(average.validationLoss).toBeLessThan(bestEpochLoss);
    expect(average.kept).toBe(true);
    expect(readRunSummary(run.summary).validationLoss).toBe(average.validationLoss);
    expect(keptWeightsOf(metrics)).toEqual({
      source: 'average',
      snapshots: average.snapshots,
      validationLoss: average.validationLoss,
      validationAccuracy: average.validationAccuracy,
    });
  });

  it('trains the validated settings again on every sentence, held-out ones included, for the epochs validation kept', async () => {
    const corpus = templatedCorpus();
    teachSentences(store, 'g', corpus);
    const phases: RunProgress['phase'][] = [];
    const { run } = await train('g', 'full', {
      settings: { budgetMinutes: 1, hyperparameters: { validationFraction: 0.25 } },
      onProgress: (progress) => {
        if (phases.at(-1) !== progress.phase) phases.push(progress.phase);
      },
    });
    expect(phases).toEqual(['preparing', 'training', 'refitting', 'saving']);

    const serving = store.servingModel('g')!;
    const metrics = readModelMetrics(serving.metrics);
    expect(metrics.refit).toEqual({ epochs: keptEpochs(metrics.history).length, sentences: corpus.length, seconds: expect.any(Number) });
    expect(serving.hyperparameters).toMatchObject({ maxEpochs: metrics.refit!.epochs });
    expect(keptWeightsOf(metrics)).toMatchObject({ source: 'epoch', epoch: metrics.bestEpoch, refitOn: corpus.length });
    expect(readRunSummary(run.summary).note).toContain(`then trained again on all ${corpus.length} sentences for ${metrics.refit!.epochs} epochs`);
    // The validated network chose what serves: the refit one has seen the held-out sentences.
    expect(metrics.servedModel?.targets).toBe(metrics.validationTargets);
  });

  it('keeps a clearly worse model as a rejected version and leaves the serving one', async () => {
    teachSentences(store, 'g', templatedCorpus());
    const heldOut = { validationFraction: 0.25 };
    const first = await train('g', 'full', { settings: { budgetMinutes: 1, hyperparameters: heldOut } });
    expect(first.result).toMatchObject({ status: 'succeeded', promoted: true });

    // One epoch from scratch is far from the converged first model.
    const second = await train('g', 'full', { settings: { budgetMinutes: 1, hyperparameters: { ...heldOut, maxEpochs: 1 } } });
    expect(second.result).toMatchObject({ status: 'succeeded', modelVersion: 2, promoted: false });
    expect(second.result.status === 'succeeded' && second.result.note).toMatch(/^not promoted: validation loss/);
    expect(readRunSummary(second.run.summary).promoted).toBe(false);
    expect(store.servingModelInfo('g')?.version).toBe(1);
    expect(store.listModels('g').map((model) => [model.version, model.status])).toEqual([
      [2, 'rejected'],
      [1, 'serving'],
    ]);
    const comparison = readModelMetrics(store.getModel('g', 2)!.metrics).comparison!;
    expect(comparison.servingVersion).toBe(1);
    expect(comparison.newLoss).toBeGreaterThan(comparison.servingLoss * 1.05);
  });

  it('warm-starts from the serving model on new sentences, keeping the ids of known words', async () => {
    teachSentences(store, 'g', TINY_CORPUS);
    // The defaults as they are, not cross-validated: what a warm start learns is measured against them.
    await train('g', 'full', { settings: { budgetMinutes: 1, hyperparameters: {} } });
    const first = store.servingModel('g')!;
    const before = first.vocabulary as { tokens: string[] };
    teachSentences(store, 'g', ['猫 喜欢 吃 鱼 。', '小猫 也 喜欢 吃 鱼 。']);

    const { result, run } = await train('g', 'incremental');
    expect(result).toMatchObject({ status: 'succeeded', modelVersion: 2, promoted: true });
    expect(readRunSummary(run.summary)).toMatchObject({ mode: 'incremental' });
    const after = store.servingModel('g')!;
    const tokens = (after.vocabulary as { tokens: string[] }).tokens;
    expect(tokens.slice(0, before.tokens.length)).toEqual(before.tokens);
    expect(tokens.slice(before.tokens.length).sort()).toEqual(['也', '小猫', '猫', '鱼'].sort());
    const metrics = readModelMetrics(after.metrics);
    expect(metrics.modeReason).toMatch(/^2 new sentences; \d+ epochs at most to fit the 1-minute budget$/);
    // Every older sentence is replayed (fewer than the replay sample) beside the two new ones.
    expect(metrics.trainSentences).toBe(12);
    // Starting from trained weights, the first epoch is already far better than a cold start's.
    const coldStart = readModelMetrics(first.metrics).history[0]!.trainLoss;
    expect(metrics.history[0]!.trainLoss).toBeLessThan(coldStart / 2);
    expect(await predictAfter('g', ['猫', '喜欢', '吃'])).toBe('鱼');
    expect(await predictAfter('g', ['我', '喜欢'])).toBe('吃');
  });

  it('promotes a warm start from a network trained again on every sentence, the held-out ones included', async () => {
    teachSentences(store, 'g', searchableCorpus());
    await train('g', 'full');
    expect(readModelMetrics(store.servingModel('g')!.metrics).refit).toBeDefined();
    teachSentences(store, 'g', ['老虎 今天 在 山上 吃 东西 。', '老虎 每天 在 山上 睡觉 。', '狮子 晚上 在 山上 吃 东西 。', '狮子 常常 在 山上 睡觉 。']);

    const { result } = await train('g', 'incremental');
    expect(result).toMatchObject({ status: 'succeeded', modelVersion: 2, promoted: true });
    expect(store.servingModelInfo('g')?.version).toBe(2);
  });

  it('warm-starts after removals, which leave the model with the next full run', async () => {
    teachSentences(store, 'g', [...TINY_CORPUS, '老师 喜欢 吃 西瓜 。']);
    await train('g', 'full');
    const removed = store.listSentences('g', { limit: 1 }).sentences[0]!;
    expect(store.deleteSentence('g', removed.id)).toBe(true);
    teachSentences(store, 'g', ['猫 喜欢 吃 鱼 。']);
    const vocabulary = (): string[] => (store.servingModel('g')!.vocabulary as { tokens: string[] }).tokens;

    const { run } = await train('g', 'incremental');
    expect(readRunSummary(run.summary)).toMatchObject({ mode: 'incremental', modeReason: expect.stringMatching(/^1 new sentences, 1 removed;/) });
    // A warm start keeps what the model knew, the removed sentence's words included.
    expect(vocabulary()).toEqual(expect.arrayContaining(['老师', '猫']));
    expect(store.removalsPending('g')).toBe(true);

    await train('g', 'full');
    expect(vocabulary()).not.toContain('老师');
    expect(vocabulary()).toContain('猫');
    expect(store.removalsPending('g')).toBe(false);
  });

  it('chooses the hyperparameters by a search on the validation sentences, and records every candidate', async () => {
    const corpus = searchableCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    teachSentences(store, 'g', corpus);
    const { run } = await train('g', 'full');

    const metrics = readModelMetrics(store.servingModel('g')!.metrics);
    const trials = metrics.search!.trials;
    expect(trials.map((trial) => trial.name)).toEqual(['defaults', 'more dropout', 'twice as wide, more dropout', 'half the learning rate']);
    const won = trials.filter((trial) => trial.outcome === 'won');
    expect(won).toHaveLength(1);
    // The winner had the lowest validation loss of the candidates still in at the last rung.
    const lastRung = metrics.search!.rungs.length;
    for (const trial of trials.filter((other) => typeof other.outcome === 'object' && other.outcome.droppedAfterRung === lastRung)) {
      expect(trial.validationLoss).toBeGreaterThanOrEqual(won[0]!.validationLoss!);
    }
    // The model holds the winner's hyperparameters, and remembers the defaults they came from.
    const stored = store.servingModel('g')!.hyperparameters as Record<string, unknown>;
    expect(stored).toMatchObject({ ...metrics.searchedFrom, ...won[0]!.changes, maxEpochs: expect.any(Number) });
    expect(readRunSummary(run.summary).note).toMatch(new RegExp(`hyperparameter search: .*"${won[0]!.name}" won at validation perplexity`));
  });

  it('retrains from scratch when the corpus now gets other defaults than the serving model was chosen from', async () => {
    teachSentences(store, 'g', TINY_CORPUS);
    await train('g', 'full', { settings: { budgetMinutes: 1, hyperparameters: { embeddingSize: 32, hiddenSize: 32 } } });
    teachSentences(store, 'g', ['猫 喜欢 吃 鱼 。']);

    const tied = { embeddingSize: 32, hiddenSize: 32, tiedWeights: true };
    const { run } = await train('g', 'incremental', { settings: { budgetMinutes: 1, hyperparameters: tied } });
    expect(readRunSummary(run.summary)).toMatchObject({ mode: 'full', modeReason: 'the corpus has outgrown the defaults the serving model was chosen from' });
    expect(store.servingModel('g')!.hyperparameters).toMatchObject(tied);
  });

  it("retrains from scratch when the serving model's metrics do not read", async () => {
    teachSentences(store, 'g', TINY_CORPUS);
    await train('g', 'full');
    const database = new Database(path.join(dir, 'bot.sqlite'));
    database.prepare('UPDATE models SET metrics = ?').run(JSON.stringify({ ...readModelMetrics(store.servingModel('g')!.metrics), history: 'none' }));
    database.close();
    teachSentences(store, 'g', ['猫 喜欢 吃 鱼 。']);

    const { run } = await train('g', 'incremental');
    expect(readRunSummary(run.summary)).toMatchObject({
      mode: 'full',
      modeReason: 'the serving model could not be loaded (metrics.history must be an array, got "none")',
    });
  });

  it('saves nothing and records the run interrupted when aborted during training', async () => {
    teachSentences(store, 'g', TINY_CORPUS);
    await train('g', 'full');
    teachSentences(store, 'g', ['猫 喜欢 吃 鱼 。']);
    const controller = new AbortController();
    const { result, run } = await train('g', 'full', {
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.phase === 'training') controller.abort();
      },
    });
    expect(result).toEqual({ status: 'failed', runId: run.id, error: 'interrupted' });
    expect(run).toMatchObject({ status: 'failed', error: 'interrupted', modelId: null });
    expect(store.listModels('g').map((model) => model.version)).toEqual([1]);
    expect(store.servingModelInfo('g')?.version).toBe(1);
  });

  it('records the error of a job that throws and leaves the previous model serving', async () => {
    teachSentences(store, 'g', TINY_CORPUS);
    await train('g', 'full');
    const { result, run } = await train('g', 'full', {
      settings: { budgetMinutes: 1, hyperparameters: { embeddingSize: 0 } },
    });
    expect(result).toEqual({ status: 'failed', runId: run.id, error: 'embeddingSize must be a positive integer, got 0' });
    expect(run).toMatchObject({ status: 'failed', error: 'embeddingSize must be a positive integer, got 0' });
    expect(store.listModels('g').map((model) => [model.version, model.status])).toEqual([[1, 'serving']]);
  });

  it('fails a run for a guild without sentences', async () => {
    const { result } = await train('empty', 'full');
    expect(result).toMatchObject({ status: 'failed', error: 'the guild has no sentences to train on' });
  });
});
