/**
 * Handles on runs another process executes: a second bot on the same file that claims a run this
 * one queued, the command line's `train`, which queues and claims its run at once, and a trainer
 * process beside shards that only queue. Their handles follow the run's row in SQLite, into the
 * run queued in its place when the process that trained it died.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import type { RunProgress } from '../../src/app/services.ts';
import { openStore } from '../../src/store/index.ts';
import type { ModelMetrics } from '../../src/training/metrics.ts';
import { FOLLOW_INTERVAL_MS, QUEUE_POLL_MS, createTrainingService, type TrainingService } from '../../src/training/service.ts';
import type { TrainingServiceOptions } from '../../src/training/service-options.ts';
import { TINY_CORPUS } from './corpus.ts';
import { trainingDatabase } from './database.ts';
import { FakeClock } from './fake-clock.ts';
import { ScriptedRunner } from './scripted-runner.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const db = trainingDatabase('followed-runs-');

/** A service on the test's database whose schedule finds nothing to retrain by itself. */
function newService(options: Partial<TrainingServiceOptions>): TrainingService {
  return createTrainingService({
    store: db.store,
    dbPath: db.dbPath,
    config: { intervalMinutes: 60, retrainMinChanges: 1000, concurrency: 1, budgetMinutes: 1 },
    ...options,
  });
}

it('follows a queued run that a second process claims: its progress, then its outcome', async () => {
  const clock = new FakeClock();
  db.service = newService({ clock, runner: new ScriptedRunner(db.store).runner });
  // Not started: the run waits in the queue, where the other process finds it.
  const handle = db.service.requestRetrain('g', { full: true, requestedBy: 'mod' });
  const seen: RunProgress[] = [];
  handle.onProgress((progress) => seen.push(progress));

  const other = openStore(db.dbPath);
  try {
    const claimed = other.claimNextRun()!;
    expect(claimed.id).toBe(handle.runId);
    const progress: RunProgress = {
      runId: claimed.id, guildId: 'g', phase: 'training', epoch: 2, maxEpochs: 5, batch: 1, batchesPerEpoch: 4,
      loss: 1.5, tokensPerSecond: 900, etaSeconds: 12,
    };
    other.updateRunProgress(claimed.id, progress);
    clock.advance(FOLLOW_INTERVAL_MS);
    expect(seen).toEqual([progress]);
    expect(handle.progress()).toEqual(progress);

    const metrics: ModelMetrics = {
      history: [{ epoch: 1, trainLoss: 2, validationLoss: 2.5, validationAccuracy: 0.2, tokensPerSecond: 900, seconds: 1 }],
      bestEpoch: 1, stoppedEarly: false, stoppedAtDeadline: false, mode: 'full', modeReason: 'a full retrain was requested',
      trainSentences: 9, trainTargets: 54, validationSentences: 1, validationTargets: 6, comparison: null, servedModel: null,
      backend: 'wasm', seconds: 3,
    };
    const corpus = other.corpus('g');
    other.finishRunWithModel(
      claimed.id,
      {
        guildId: 'g', topology: {}, weights: new Uint8Array([1]), vocabulary: {}, hyperparameters: {},
        metrics, corpusSentences: corpus.sentences.length, corpusRevision: corpus.revision,
      },
      { promote: true },
      ({ version }) => ({
        modelVersion: version, promoted: true, note: 'promoted: first model', mode: 'full', modeReason: 'a full retrain was requested',
        sentences: corpus.sentences.length, vocabularySize: 20, epochs: 1, stoppedEarly: false, finalLoss: 2, validationLoss: 2.5,
        seconds: 3, backend: 'wasm',
      }),
    );
  } finally {
    other.close();
  }
  clock.advance(FOLLOW_INTERVAL_MS);
  await expect(handle.done).resolves.toEqual({
    status: 'succeeded', runId: handle.runId, modelVersion: 1, promoted: true, note: 'promoted: first model',
    sentences: TINY_CORPUS.length, vocabularySize: 20, finalLoss: 2, validationLoss: 2.5, seconds: 3,
    history: [{ epoch: 1, trainLoss: 2, validationLoss: 2.5, validationAccuracy: 0.2 }],
  });
  // Followed to its end: nothing is read any more.
  await settle();
  expect(clock.pending).toBe(0);
});

it('joins the run of the command line’s train and gets its end', async () => {
  db.service = newService({});
  db.service.start();
  const cli = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--db', db.dbPath, '--guild', 'g', '--epochs', '300'], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => cli.on('exit', resolve));

  // A moderator's /retrain while the operator's run trains.
  while (db.store.activeRun('g')?.status !== 'running') {
    if (cli.exitCode !== null) throw new Error(`train ended before it was joined: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const handle = db.service.requestRetrain('g', { full: false, requestedBy: 'mod' });
  expect(handle.alreadyActive).toBe(true);
  expect(db.store.getRun(handle.runId)).toMatchObject({ trigger: 'cli', requestedBy: 'cli' });

  const result = await handle.done;
  expect(await exited, output).toBe(0);
  expect(result).toMatchObject({ status: 'succeeded', runId: handle.runId, modelVersion: 1, promoted: true, sentences: TINY_CORPUS.length });
  expect(result.status === 'succeeded' && result.history.length).toBe(300);
}, 120_000);

it('never claims a run when it leaves training to a trainer process, and tells when the schedule looks next at the latest', () => {
  const clock = new FakeClock();
  db.service = newService({
    config: { intervalMinutes: 10, retrainMinChanges: 1, concurrency: 1, budgetMinutes: 1 },
    clock,
    runner: new ScriptedRunner(db.store).runner,
    executesRuns: false,
  });
  db.service.start();
  const handle = db.service.requestRetrain('g', { full: true, requestedBy: 'mod' });
  clock.advance(60 * 60_000);
  expect(db.store.getRun(handle.runId)?.status).toBe('queued');
  // Nor does it queue what the schedule would: a trainer does.
  expect(db.store.latestRuns('g', 10)).toHaveLength(1);
  expect(db.service.nextCheckAt()).toBe(clock.now() + 10 * 60_000);
});

it('claims within a poll the runs another process queued, when it trains', () => {
  const clock = new FakeClock();
  const scripted = new ScriptedRunner(db.store);
  db.service = newService({ clock, runner: scripted.runner });
  db.service.start();
  const other = openStore(db.dbPath);
  try {
    const { run } = other.enqueueRun('g', { kind: 'full', trigger: 'command', requestedBy: 'mod' });
    expect(scripted.running).toEqual([]);
    clock.advance(QUEUE_POLL_MS);
    expect(scripted.running).toEqual([run.id]);
  } finally {
    other.close();
  }
});

it('follows a run whose process died into the run queued in its place', async () => {
  const clock = new FakeClock();
  db.service = newService({ clock, executesRuns: false });
  db.service.start();
  const handle = db.service.requestRetrain('g', { full: true, requestedBy: 'mod' });
  const first = handle.runId;
  const trainer = openStore(db.dbPath);
  try {
    trainer.claimNextRun();
    // Claimed by a process of this host that is gone (a pid above Linux's highest).
    const direct = new Database(db.dbPath);
    direct.prepare('UPDATE training_runs SET owner = ? WHERE id = ?').run(`${os.hostname()}/4194999/gone0000`, first);
    direct.close();
    const requeued = trainer.failInterruptedRuns().map((interrupted) => interrupted.requeued?.id);
    expect(requeued).toHaveLength(1);
    clock.advance(FOLLOW_INTERVAL_MS);
    expect(handle.runId).toBe(requeued[0]);
    expect(handle.progress()).toMatchObject({ runId: requeued[0], phase: 'queued' });
    trainer.finishRun(handle.runId, { status: 'cancelled' });
  } finally {
    trainer.close();
  }
  clock.advance(FOLLOW_INTERVAL_MS);
  await expect(handle.done).resolves.toEqual({ status: 'cancelled', runId: handle.runId });
});
