import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../../src/app/services.ts';
import { activeBackend, initBackend } from '../../src/lm/backend.ts';
import { unpackModel } from '../../src/lm/model-package.ts';
import { BOS } from '../../src/lm/special-tokens.ts';
import { runTrainingJob } from '../../src/training/job.ts';
import { createTrainingService, type TrainingService } from '../../src/training/service.ts';
import type { TrainingServiceOptions } from '../../src/training/service-options.ts';
import { TRAINING_NICE } from '../../src/threads/priority.ts';
import { loweredTo, threadNiceValues } from '../support/thread-priority.ts';
import { teachSentences } from './corpus.ts';
import { trainingDatabase } from './database.ts';

const db = trainingDatabase('training-worker-');

/** A started service that only trains on request (its schedule never finds enough changes). */
function startService(options: Partial<TrainingServiceOptions> = {}): TrainingService {
  db.service = createTrainingService({
    store: db.store,
    dbPath: db.dbPath,
    config: { intervalMinutes: 60, retrainMinChanges: 1000, concurrency: 1, budgetMinutes: 1 },
    ...options,
  });
  db.service.start();
  return db.service;
}

/** Gives the guild a serving model (version 1), trained in this thread to save a worker start. */
async function trainFirstModel(): Promise<void> {
  db.store.enqueueRun('g', { kind: 'full', trigger: 'cli' });
  const result = await runTrainingJob(db.store, db.store.claimNextRun()!, { settings: { budgetMinutes: 1 } });
  expect(result).toMatchObject({ status: 'succeeded', modelVersion: 1, promoted: true });
  teachSentences(db.store, 'g', ['猫 喜欢 吃 鱼 。']);
}

function modelVersions(): Array<[number, string]> {
  return db.store.listModels('g').map((model) => [model.version, model.status]);
}

describe('training in a worker thread', () => {
  it('trains in the worker, streams progress and announces the promoted model after the commit', async () => {
    const svc = startService();
    const events: RunProgress[] = [];
    svc.on('progress', (progress) => events.push(progress));
    const announced: Array<[string, number, number | undefined]> = [];
    svc.on('modelPromoted', (guildId, version) => announced.push([guildId, version, db.store.servingModelInfo(guildId)?.version]));

    const handle = svc.requestRetrain('g', { full: true, requestedBy: 'mod' });
    const result = await handle.done;

    expect(result).toMatchObject({ status: 'succeeded', runId: handle.runId, modelVersion: 1, promoted: true });
    expect(announced).toEqual([['g', 1, 1]]);
    expect(new Set(events.map((event) => event.phase))).toEqual(new Set(['preparing', 'cross-validating', 'training', 'saving']));
    // Across the trainings on folds, then within the one that serves, progress only moves forward.
    const crossValidating = events.filter((event) => event.phase === 'cross-validating');
    expect(crossValidating.at(-1)).toMatchObject({ epoch: crossValidating.at(-1)!.maxEpochs });
    const training = events.filter((event) => event.phase === 'training');
    expect(training.at(-1)).toMatchObject({ runId: handle.runId, guildId: 'g', epoch: training.at(-1)!.maxEpochs });
    expect(training.every((event) => event.loss! > 0 && event.etaSeconds! >= 0)).toBe(true);
    expect(db.store.getRun(handle.runId)).toMatchObject({ status: 'succeeded', error: null });
    // The main thread never started a TensorFlow.js backend: all training ran in the worker.
    expect(activeBackend()).toBeUndefined();

    await initBackend();

    const { model, vocabulary } = await unpackModel(db.store.servingModel('g')!);
    const distribution = model.nextDistribution([BOS, ...vocabulary.encode(['你', '喜欢']).ids]);
    model.dispose();
    expect(distribution.indexOf(Math.max(...distribution))).toBe(vocabulary.idOf('吃'));
  });

  it.runIf(process.platform === 'linux')('trains below the priority of the thread that answers members', async () => {
    const ownPriority = os.getPriority(0);
    const svc = startService();
    const handle = svc.requestRetrain('g', { full: true, requestedBy: 'mod' });
    const whileTraining = await new Promise<number[]>((resolve) => {
      handle.onProgress((progress) => progress.phase === 'training' && resolve(threadNiceValues()));
    });
    expect(whileTraining).toContain(loweredTo(TRAINING_NICE));
    expect(os.getPriority(0)).toBe(ownPriority);
    await handle.done;
  });

  it('records the error of a job that throws in the worker and keeps the previous model serving', async () => {
    await trainFirstModel();
    const svc = startService({ job: { hyperparameters: { hiddenSize: -1 } } });
    const handle = svc.requestRetrain('g', { full: true, requestedBy: 'mod' });
    const error = 'hiddenSize must be a positive integer, got -1';
    await expect(handle.done).resolves.toEqual({ status: 'failed', runId: handle.runId, error });
    expect(db.store.getRun(handle.runId)).toMatchObject({ status: 'failed', error });
    expect(modelVersions()).toEqual([[1, 'serving']]);
  });

  it('fails the run of a worker terminated mid-training and keeps the previous model serving', async () => {
    await trainFirstModel();
    const workers: Worker[] = [];
    const svc = startService({ worker: { onWorker: (worker) => workers.push(worker) } });
    const handle = svc.requestRetrain('g', { full: true, requestedBy: 'mod' });
    const unsubscribe = handle.onProgress((progress) => {
      if (progress.phase !== 'training') return;
      unsubscribe();
      void workers[0]!.terminate();
    });

    const error = 'training worker exited with code 1';
    await expect(handle.done).resolves.toEqual({ status: 'failed', runId: handle.runId, error });
    expect(db.store.getRun(handle.runId)).toMatchObject({ status: 'failed', error });
    expect(modelVersions()).toEqual([[1, 'serving']]);
    expect(db.store.activeRun('g')).toBeUndefined();
  });

  it('fails the run of a worker that exceeds its memory limit, not the process', async () => {
    await trainFirstModel();
    const svc = startService({ worker: { resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 } } });
    const handle = svc.requestRetrain('g', { full: true, requestedBy: 'mod' });
    const result = await handle.done;
    expect(result).toMatchObject({ status: 'failed', runId: handle.runId });
    expect(result.status === 'failed' && result.error).toMatch(/out of memory/i);
    expect(db.store.getRun(handle.runId)?.status).toBe('failed');
    expect(modelVersions()).toEqual([[1, 'serving']]);
  });

  it('stop interrupts the worker, queues the run again and keeps the previous model serving', async () => {
    await trainFirstModel();
    const svc = startService();
    const handle = svc.requestRetrain('g', { full: true, requestedBy: 'mod' });
    const training = new Promise<void>((resolve) => {
      handle.onProgress((progress) => progress.phase === 'training' && resolve());
    });
    // Should the run end before it trains, fail on its outcome rather than wait forever.
    await Promise.race([training, handle.done.then((result) => expect(result).toBe('still training'))]);
    const stopStarted = performance.now();
    await svc.stop();
    const stopSeconds = (performance.now() - stopStarted) / 1000;

    await expect(handle.done).resolves.toEqual({ status: 'failed', runId: handle.runId, error: 'interrupted' });
    // The job saw the abort between batches: no need to wait for the termination grace period.
    expect(stopSeconds).toBeLessThan(5);
    expect(db.store.getRun(handle.runId)).toMatchObject({ status: 'failed', error: 'interrupted' });
    expect(db.store.activeRun('g')).toMatchObject({ status: 'queued', kind: 'full', requestedBy: 'mod' });
    expect(modelVersions()).toEqual([[1, 'serving']]);
  });
});
