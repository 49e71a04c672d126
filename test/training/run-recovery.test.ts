import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.ts';
import { runTrainingJob } from '../../src/training/job.ts';
import { readModelMetrics } from '../../src/training/metrics.ts';
import { createTrainingService, type TrainingService } from '../../src/training/service.ts';
import { TINY_CORPUS, teachSentences } from './corpus.ts';
import { FakeClock } from './fake-clock.ts';
import { ScriptedRunner } from './scripted-runner.ts';

const MINUTE = 60_000;

let dir: string;
let dbPath: string;
let store: Store;
let service: TrainingService | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'training-recovery-'));
  dbPath = path.join(dir, 'bot.sqlite');
  store = openStore(dbPath);
});

afterEach(async () => {
  await service?.stop();
  service = undefined;
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs SQL on the database through a connection of its own, as another process would. */
function sql(statement: string, ...parameters: unknown[]): void {
  const db = new Database(dbPath);
  try {
    db.prepare(statement).run(...parameters);
  } finally {
    db.close();
  }
}

/** Queues, claims and runs one job for guild g. */
async function train(kind: 'full' | 'incremental', settings: Parameters<typeof runTrainingJob>[2]['settings'], onProgress?: () => void) {
  store.enqueueRun('g', { kind, trigger: 'cli' });
  const run = store.claimNextRun()!;
  const result = await runTrainingJob(store, run, { settings, ...(onProgress ? { onProgress } : {}) });
  return { result, run: store.getRun(run.id)! };
}

/** Asserts that the deadline, not the planned epochs, ended the run that trained this model version. */
function expectStoppedAtDeadline(version: number, budgetMinutes: number): void {
  const metrics = readModelMetrics(store.getModel('g', version)!.metrics);
  expect(metrics.stoppedAtDeadline).toBe(true);
  expect(metrics.history.length).toBeGreaterThan(1);
  const trainingSeconds = metrics.history.reduce((sum, epoch) => sum + epoch.seconds, 0);
  // Four fifths of a short budget are for epochs; the last one started only if it looked like fitting.
  expect(trainingSeconds).toBeLessThanOrEqual(budgetMinutes * 60 * 0.8 + metrics.history.at(-1)!.seconds);
}

const UNBOUNDED_EPOCHS = { maxEpochs: 100_000, patience: 100_000 };

describe('the training budget', () => {
  it('ends a full run at its deadline when the planned epochs would overrun it', async () => {
    teachSentences(store, 'g', TINY_CORPUS);
    const fullBudgetMinutes = 0.05;
    const { result } = await train('full', { budgetMinutes: 1, fullBudgetMinutes, hyperparameters: UNBOUNDED_EPOCHS });
    expect(result).toMatchObject({ status: 'succeeded', modelVersion: 1 });
    expectStoppedAtDeadline(1, fullBudgetMinutes);
  });

  it('ends an incremental run at its deadline when the planned epochs would overrun it', async () => {
    teachSentences(store, 'g', TINY_CORPUS);
    await train('full', { budgetMinutes: 1 });
    // A throughput far above the real one makes the plan allow every epoch: only the deadline stops.
    const metrics = readModelMetrics(store.getModel('g', 1)!.metrics);
    const fast = { ...metrics, history: metrics.history.map((epoch) => ({ ...epoch, tokensPerSecond: 1e12 })) };
    sql('UPDATE models SET metrics = ? WHERE version = 1', JSON.stringify(fast));
    teachSentences(store, 'g', ['猫 喜欢 吃 鱼 。']);

    const budgetMinutes = 0.05;
    const { result } = await train('incremental', { budgetMinutes, hyperparameters: UNBOUNDED_EPOCHS });
    expect(result).toMatchObject({ status: 'succeeded', modelVersion: 2 });
    expect(readModelMetrics(store.getModel('g', 2)!.metrics).modeReason).toMatch(/100000 epochs at most/);
    expectStoppedAtDeadline(2, budgetMinutes);
  });
});

describe('a run taken over by a restarted process', () => {
  it('saves no model when the run was failed as interrupted while it trained', async () => {
    teachSentences(store, 'g', TINY_CORPUS);
    let restarted = false;
    const { result, run } = await train('full', { budgetMinutes: 1 }, () => {
      if (restarted) return;
      restarted = true;
      // What a process starting up does when it finds the run's owner gone.
      store.failInterruptedRuns();
    });
    expect(result).toMatchObject({ status: 'failed', error: expect.stringMatching(/no longer active/) });
    expect(run).toMatchObject({ status: 'failed', error: 'interrupted', modelId: null });
    expect(store.listModels('g')).toEqual([]);
    expect(store.activeRun('g')).toMatchObject({ status: 'queued', kind: 'full' });
  });
});

describe('the training service', () => {
  it("requeues a run of another host once its heartbeat is stale, and never the service's own", () => {
    teachSentences(store, 'mine', TINY_CORPUS);
    teachSentences(store, 'theirs', TINY_CORPUS);
    store.enqueueRun('theirs', { kind: 'full', trigger: 'cli' });
    const theirs = store.claimNextRun()!;
    sql('UPDATE training_runs SET owner = ? WHERE id = ?', 'another-host/77/a1b2c3d4', theirs.id);
    const clock = new FakeClock();
    const scripted = new ScriptedRunner(store);
    service = createTrainingService({
      store,
      dbPath,
      config: { intervalMinutes: 10, retrainMinChanges: 3, concurrency: 1, budgetMinutes: 5 },
      clock,
      runner: scripted.runner,
      staleRunMs: 5 * MINUTE,
    });
    service.start();
    // Its heartbeat is fresh: it is left to the other host.
    expect(store.getRun(theirs.id)?.status).toBe('running');
    expect(scripted.runningGuilds).toEqual(['mine']);
    const mine = scripted.running[0]!;

    sql('UPDATE training_runs SET heartbeat_at = ? WHERE id IN (?, ?)', Date.now() - 6 * MINUTE, theirs.id, mine);
    clock.advance(10 * MINUTE);
    expect(store.getRun(theirs.id)).toMatchObject({ status: 'failed', error: 'interrupted' });
    expect(store.activeRun('theirs')).toMatchObject({ status: 'queued', kind: 'full' });
    expect(store.getRun(mine)?.status).toBe('running');
  });
});
