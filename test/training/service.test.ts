import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunProgress } from '../../src/app/services.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import type { TrainingConfig } from '../../src/training/schedule-settings.ts';
import { createTrainingService, type TrainingService } from '../../src/training/service.ts';
import { FakeClock } from './fake-clock.ts';
import { ScriptedRunner } from './scripted-runner.ts';

const MINUTE = 60_000;
const config: TrainingConfig = { intervalMinutes: 10, retrainMinChanges: 3, concurrency: 1, budgetMinutes: 5 };

/** Lets settled jobs be recorded (their outcome is handled in promise callbacks). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let dir: string;
let store: Store;
let clock: FakeClock;
let scripted: ScriptedRunner;
let service: TrainingService | undefined;
let sentenceCounter = 0;

function teach(guildId: string, count: number): void {
  for (let i = 0; i < count; i++) {
    sentenceCounter += 1;
    const tokens = ['word', String(sentenceCounter)];
    store.addSentence({
      guildId,
      channelId: null,
      authorId: 'member',
      text: tokens.join(' '),
      tokens,
      dedupeKey: tokens.join(' '),
      source: 'console',
    });
  }
}

function startService(overrides: Partial<TrainingConfig> = {}): TrainingService {
  service = createTrainingService({
    store,
    dbPath: path.join(dir, 'bot.sqlite'),
    config: { ...config, ...overrides },
    clock,
    runner: scripted.runner,
  });
  service.start();
  return service;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'training-service-'));
  store = openStore(path.join(dir, 'bot.sqlite'));
  clock = new FakeClock();
  scripted = new ScriptedRunner(store);
});

afterEach(async () => {
  vi.useRealTimers();
  await service?.stop();
  service = undefined;
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('training scheduler', () => {
  it('queues only guilds with enough new sentences, at start and then every interval', async () => {
    teach('busy', 3);
    teach('quiet', 2);
    const svc = startService();
    expect(scripted.runningGuilds).toEqual(['busy']);
    expect(svc.nextCheckAt()).toBe(clock.now() + 10 * MINUTE);

    scripted.succeed(scripted.running[0]!);
    await settle();
    teach('quiet', 1);
    clock.advance(10 * MINUTE - 1);
    expect(scripted.running).toEqual([]);
    clock.advance(1);
    expect(scripted.runningGuilds).toEqual(['quiet']);
    expect(svc.nextCheckAt()).toBe(clock.now() + 10 * MINUTE);
  });

  it('does not retrain a guild whose newest model already covers its sentences', async () => {
    teach('g', 4);
    startService();
    scripted.succeed(scripted.running[0]!);
    await settle();

    clock.advance(30 * MINUTE);
    expect(scripted.requests).toHaveLength(1);

    teach('g', 3);
    clock.advance(10 * MINUTE);
    expect(scripted.requests).toHaveLength(2);
    expect(scripted.requests[1]!.run.kind).toBe('incremental');
  });

  it('does not retrain again after a model that was kept but not promoted', async () => {
    teach('g', 4);
    startService();
    scripted.succeed(scripted.running[0]!, false);
    await settle();
    clock.advance(30 * MINUTE);
    expect(scripted.requests).toHaveLength(1);
  });

  it('runs at most `concurrency` jobs and starts the oldest queued one when a slot frees', async () => {
    teach('a', 3);
    teach('b', 3);
    teach('c', 3);
    startService({ concurrency: 2 });
    expect(scripted.runningGuilds).toEqual(['a', 'b']);
    expect(store.activeRun('c')?.status).toBe('queued');

    scripted.succeed(scripted.running[1]!);
    await settle();
    expect(scripted.runningGuilds).toEqual(['a', 'c']);
  });

  it('keeps one run per guild: a second request joins the active run', () => {
    teach('g', 1);
    const svc = startService();
    const first = svc.requestRetrain('g', { full: true, requestedBy: 'mod' });
    const second = svc.requestRetrain('g', { full: false, requestedBy: 'other' });
    clock.advance(10 * MINUTE);

    expect(first.alreadyActive).toBe(false);
    expect(second.alreadyActive).toBe(true);
    expect(second.runId).toBe(first.runId);
    expect(scripted.requests.map((request) => request.run.id)).toEqual([first.runId]);
    expect(svc.activeRun('g')?.runId).toBe(first.runId);
  });

  it('trains from scratch without a serving model and warm-starts when asked for a plain retrain', async () => {
    teach('g', 1);
    const svc = startService();
    const first = svc.requestRetrain('g', { full: false, requestedBy: 'mod' });
    expect(store.getRun(first.runId)?.kind).toBe('full');
    scripted.succeed(first.runId);
    await first.done;

    const warm = svc.requestRetrain('g', { full: false, requestedBy: 'mod' });
    expect(store.getRun(warm.runId)).toMatchObject({ kind: 'incremental', trigger: 'command', requestedBy: 'mod' });
    scripted.succeed(warm.runId);
    await warm.done;
    const full = svc.requestRetrain('g', { full: true, requestedBy: 'mod' });
    expect(store.getRun(full.runId)?.kind).toBe('full');
  });

  it('resolves a queued handle when its run ends and reports the queued phase meanwhile', async () => {
    teach('a', 3);
    teach('b', 1);
    const svc = startService();
    const queued = svc.requestRetrain('b', { full: true, requestedBy: 'mod' });
    expect(queued.progress()?.phase).toBe('queued');

    scripted.succeed(scripted.running[0]!);
    await settle();
    expect(scripted.runningGuilds).toEqual(['b']);
    const result = scripted.succeed(queued.runId);
    await expect(queued.done).resolves.toEqual(result);
  });

  it('streams progress to handles and events, then announces the promoted model after the commit', async () => {
    teach('g', 3);
    const svc = startService();
    const handle = svc.activeRun('g')!;
    const seen: RunProgress[] = [];
    handle.onProgress((progress) => seen.push(progress));
    const events: RunProgress[] = [];
    svc.on('progress', (progress) => events.push(progress));
    const promoted: Array<[string, number, number | undefined]> = [];
    svc.on('modelPromoted', (guildId, version) =>
      promoted.push([guildId, version, store.servingModelInfo(guildId)?.version]),
    );

    const progress = scripted.reportProgress(handle.runId, 1);
    expect(seen).toEqual([progress]);
    expect(events).toEqual([progress]);
    expect(handle.progress()).toEqual(progress);

    scripted.succeed(handle.runId);
    const result = await handle.done;
    expect(result).toMatchObject({ status: 'succeeded', modelVersion: 1, promoted: true });
    // The event comes after the commit: the store already serves the announced version.
    expect(promoted).toEqual([['g', 1, 1]]);
  });

  it('does not announce a model that was kept but not promoted', async () => {
    teach('g', 3);
    const svc = startService();
    const promoted: string[] = [];
    svc.on('modelPromoted', (guildId) => promoted.push(guildId));
    const handle = svc.activeRun('g')!;
    scripted.succeed(handle.runId, false);
    await handle.done;
    expect(promoted).toEqual([]);
  });

  it('marks a run failed when its job dies without recording it, and carries on with the queue', async () => {
    teach('a', 3);
    teach('b', 3);
    const svc = startService();
    const handle = svc.activeRun('a')!;
    scripted.crash(handle.runId, 'training worker exited with code 1');
    await expect(handle.done).resolves.toEqual({
      status: 'failed',
      runId: handle.runId,
      error: 'training worker exited with code 1',
    });
    expect(store.getRun(handle.runId)).toMatchObject({ status: 'failed', error: 'training worker exited with code 1' });
    expect(scripted.runningGuilds).toEqual(['b']);
  });

  it('marks a run failed with the error of a runner that throws', async () => {
    teach('a', 3);
    const svc = startService();
    const handle = svc.activeRun('a')!;
    scripted.reject(handle.runId, new Error('cannot start a worker'));
    await expect(handle.done).resolves.toMatchObject({ status: 'failed', error: 'cannot start a worker' });
    expect(store.getRun(handle.runId)?.status).toBe('failed');
    expect(store.activeRun('a')).toBeUndefined();
  });

  it('recovers after a crash: a run left running is failed as interrupted and started again', () => {
    teach('g', 1);
    const stale = store.enqueueRun('g', { kind: 'full', trigger: 'command', requestedBy: 'mod' }).run;
    expect(store.claimNextRun()?.id).toBe(stale.id);

    startService();
    expect(store.getRun(stale.id)).toMatchObject({ status: 'failed', error: 'interrupted' });
    expect(scripted.requests).toHaveLength(1);
    expect(scripted.requests[0]!.run).toMatchObject({ guildId: 'g', kind: 'full', requestedBy: 'mod', status: 'running' });
    expect(scripted.requests[0]!.run.id).not.toBe(stale.id);
  });

  it('stop aborts running jobs, records them interrupted, queues them again and stops scheduling', async () => {
    teach('g', 3);
    const svc = startService();
    const handle = svc.activeRun('g')!;
    await svc.stop();

    await expect(handle.done).resolves.toEqual({ status: 'failed', runId: handle.runId, error: 'interrupted' });
    expect(store.getRun(handle.runId)).toMatchObject({ status: 'failed', error: 'interrupted' });
    expect(store.activeRun('g')).toMatchObject({ status: 'queued', kind: 'full', trigger: 'schedule' });
    expect(svc.nextCheckAt()).toBeNull();
    expect(clock.pending).toBe(0);
    teach('h', 3);
    clock.advance(60 * MINUTE);
    expect(scripted.requests).toHaveLength(1);
  });

  it('retries a failing guild after the interval, then twice, four times as long, and gives up after the attempts allowed', async () => {
    // The store dates runs by the system clock: move it with the scheduler's.
    vi.useFakeTimers({ toFake: ['Date'], now: clock.now() });
    const advance = (minutes: number): void => {
      vi.setSystemTime(clock.now() + minutes * MINUTE);
      clock.advance(minutes * MINUTE);
    };
    const failRunning = async (): Promise<void> => {
      expect(scripted.running).toHaveLength(1);
      scripted.crash(scripted.running[0]!, 'training worker exited with code 1');
      await settle();
    };
    teach('g', 3);
    const svc = startService({ maxAttempts: 4 });
    await failRunning();
    expect(svc.retryState('g')).toEqual({ failures: 1, maxAttempts: 4, nextAttemptAt: clock.now() + 10 * MINUTE });
    advance(10);
    await failRunning();
    advance(10);
    expect(scripted.running).toEqual([]);
    advance(10);
    await failRunning();
    advance(30);
    expect(scripted.running).toEqual([]);
    advance(10);
    await failRunning();
    expect(svc.retryState('g')).toEqual({ failures: 4, maxAttempts: 4, nextAttemptAt: null });
    advance(24 * 60);
    expect(scripted.requests).toHaveLength(4);

    // A moderator's request still runs; its success starts the count again.
    const handle = svc.requestRetrain('g', { full: false, requestedBy: 'mod' });
    scripted.succeed(handle.runId);
    await handle.done;
    expect(svc.retryState('g')).toBeNull();
  });

  it('does not queue again at start a run interrupted after the attempts allowed', () => {
    teach('g', 1);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const { run } = store.enqueueRun('g', { kind: 'full', trigger: 'schedule' });
      store.finishRun(run.id, { status: 'failed', error: 'training worker exited with code 134' });
    }
    const crashed = store.enqueueRun('g', { kind: 'full', trigger: 'schedule' }).run;
    expect(store.claimNextRun()?.id).toBe(crashed.id);

    const svc = startService({ maxAttempts: 3 });
    expect(store.getRun(crashed.id)).toMatchObject({ status: 'failed', error: 'interrupted' });
    expect(store.activeRun('g')).toBeUndefined();
    expect(scripted.requests).toEqual([]);
    expect(svc.retryState('g')).toMatchObject({ failures: 3, nextAttemptAt: null });
  });

  describe('fair to every guild', () => {
    const HOUR = 60 * MINUTE;
    /** Moves the scheduler's clock and the system's (which dates runs in the store) together. */
    const advance = (ms: number): void => {
      vi.setSystemTime(clock.now() + ms);
      clock.advance(ms);
    };
    const forget = (guildId: string, count: number): void => {
      for (const entry of store.corpusEntries(guildId).slice(0, count)) store.deleteSentence(guildId, entry.id);
    };
    const finishRunning = async (): Promise<void> => {
      for (const runId of scripted.running) scripted.succeed(runId);
      await settle();
    };

    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'], now: clock.now() });
    });

    it('warm-starts after removals and retrains from scratch once per interval, when removals wait for it', async () => {
      teach('g', 3);
      startService({ fullRetrainMinIntervalHours: 6 });
      expect(scripted.requests.map((request) => request.run.kind)).toEqual(['full']);
      await finishRunning();

      // Teach 4 and forget 1, every interval: warm starts, never a retrain from scratch before 6 hours.
      for (let check = 1; check < 6 * 6; check += 1) {
        teach('g', 4);
        forget('g', 1);
        advance(10 * MINUTE);
        await finishRunning();
      }
      const kinds = scripted.requests.map((request) => request.run.kind);
      expect(kinds.slice(1)).toEqual(Array(35).fill('incremental'));
      expect(store.removalsPending('g')).toBe(true);
      // Six hours after the first model the removals are due, even without enough other changes.
      forget('g', 1);
      advance(10 * MINUTE);
      expect(scripted.requests.at(-1)!.run.kind).toBe('full');
      await finishRunning();
      expect(store.removalsPending('g')).toBe(false);
      advance(HOUR);
      expect(scripted.requests).toHaveLength(37);
    });

    it('runs first models before warm starts, and warm starts before retrains from scratch', async () => {
      for (const guildId of ['busy', 'warm', 'removed']) teach(guildId, 3);
      const svc = startService({ concurrency: 1, fullRetrainMinIntervalHours: 1 });
      for (let run = 0; run < 3; run += 1) await finishRunning();
      expect(scripted.requests.map((request) => request.run.guildId)).toEqual(['busy', 'removed', 'warm']);

      advance(2 * HOUR);
      svc.requestRetrain('busy', { full: true, requestedBy: 'mod' });
      forget('removed', 1);
      teach('warm', 3);
      teach('new', 3);
      advance(10 * MINUTE);
      expect(scripted.runningGuilds).toEqual(['busy']);
      const order: string[] = [];
      while (scripted.running.length > 0) {
        await finishRunning();
        order.push(...scripted.runningGuilds);
      }
      expect(order).toEqual(['new', 'warm', 'removed']);
      expect(scripted.requests.slice(-3).map((request) => request.run.kind)).toEqual(['full', 'incremental', 'full']);
    });
  });

  it('refuses a configuration that cannot schedule anything', () => {
    expect(() => startService({ concurrency: 0 })).toThrow(/concurrency/);
    expect(() => startService({ retrainMinChanges: 1.5 })).toThrow(/retrainMinChanges/);
    expect(() => startService({ intervalMinutes: Number.NaN })).toThrow(/intervalMinutes/);
  });
});
