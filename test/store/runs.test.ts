import { afterEach, expect, it, vi } from 'vitest';
import { StoreError } from '../../src/store/errors.ts';
import { describeEachBackend, model, sentence } from './helpers.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** Lets each step of a test happen at a distinct, known time. */
function clockAt(ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ms);
}

describeEachBackend('training runs', ({ open, location }) => {
  it('keeps one active run per guild and hands back the existing one', () => {
    const store = open();
    const first = store.enqueueRun('g1', { kind: 'incremental', trigger: 'schedule' });
    const second = store.enqueueRun('g1', { kind: 'full', trigger: 'command', requestedBy: 'u1' });
    const other = store.enqueueRun('g2', { kind: 'full', trigger: 'cli' });

    expect(first.created).toBe(true);
    expect(second).toEqual({ run: first.run, created: false });
    expect(other.created).toBe(true);

    store.claimNextRun();
    // Still active while running.
    expect(store.enqueueRun('g1', { kind: 'full', trigger: 'command' }).created).toBe(false);
    store.finishRun(first.run.id, { status: 'succeeded' });
    const next = store.enqueueRun('g1', { kind: 'full', trigger: 'command', requestedBy: 'u1' });
    expect(next.created).toBe(true);
    expect(next.run).toMatchObject({ status: 'queued', kind: 'full', requestedBy: 'u1' });
    expect(store.activeRun('g1')?.id).toBe(next.run.id);
  });

  it('keeps one active run per guild across connections to the same database', () => {
    const file = location();
    const a = open(file);
    const b = open(file);
    const fromA = a.enqueueRun('g1', { kind: 'full', trigger: 'command' });
    const fromB = b.enqueueRun('g1', { kind: 'full', trigger: 'schedule' });
    expect(fromB).toEqual({ run: fromA.run, created: false });
    expect(a.claimNextRun()?.id).toBe(fromA.run.id);
    expect(b.claimNextRun()).toBeUndefined();
  });

  it('claims the oldest queued run first among runs of a kind, each only once', () => {
    const store = open();
    clockAt(1_000);
    const b = store.enqueueRun('guild-b', { kind: 'full', trigger: 'schedule' }).run;
    clockAt(2_000);
    const a = store.enqueueRun('guild-a', { kind: 'full', trigger: 'command' }).run;
    clockAt(3_000);
    const c = store.enqueueRun('guild-c', { kind: 'full', trigger: 'cli' }).run;

    clockAt(5_000);
    const claimed = store.claimNextRun();
    expect(claimed).toMatchObject({ id: b.id, status: 'running', startedAt: 5_000 });
    expect(store.claimNextRun()?.id).toBe(a.id);
    expect(store.claimNextRun()?.id).toBe(c.id);
    expect(store.claimNextRun()).toBeUndefined();
  });

  it('claims first models, then incremental runs, then full retrains, unless a full retrain has waited long', () => {
    const store = open();
    for (const guildId of ['retrained', 'warm-1', 'warm-2']) store.saveModel(model(guildId, 0), { promote: true });
    clockAt(1_000);
    const full = store.enqueueRun('retrained', { kind: 'full', trigger: 'schedule' }).run;
    clockAt(2_000);
    const warm1 = store.enqueueRun('warm-1', { kind: 'incremental', trigger: 'schedule' }).run;
    clockAt(3_000);
    const first = store.enqueueRun('new', { kind: 'full', trigger: 'schedule' }).run;
    clockAt(4_000);
    const warm2 = store.enqueueRun('warm-2', { kind: 'incremental', trigger: 'schedule' }).run;

    clockAt(10_000);
    expect(store.claimNextRun({ fullRunPatienceMs: 60_000 })?.id).toBe(first.id);
    expect(store.claimNextRun({ fullRunPatienceMs: 60_000 })?.id).toBe(warm1.id);
    // The full retrain has now waited longer than its patience: it goes before the younger incremental run.
    clockAt(70_000);
    expect(store.claimNextRun({ fullRunPatienceMs: 60_000 })?.id).toBe(full.id);
    expect(store.claimNextRun({ fullRunPatienceMs: 60_000 })?.id).toBe(warm2.id);
  });

  it('queues and claims a run at once, leaving other queued runs alone, unless the guild has one active', () => {
    const file = location();
    const cli = open(file);
    const bot = open(file);
    const older = bot.enqueueRun('guild-a', { kind: 'full', trigger: 'schedule' }).run;
    const mine = cli.enqueueClaimedRun('guild-b', { kind: 'full', trigger: 'cli', requestedBy: 'cli' });
    expect(mine).toMatchObject({ created: true, run: { guildId: 'guild-b', status: 'running', trigger: 'cli', requestedBy: 'cli' } });
    expect(mine.run.owner).not.toBeNull();
    // The bot's queue never sees the operator's run as queued: it cannot claim it.
    expect(bot.claimNextRun()?.id).toBe(older.id);
    expect(bot.claimNextRun()).toBeUndefined();
    expect(cli.enqueueClaimedRun('guild-b', { kind: 'full', trigger: 'cli' })).toEqual({ run: mine.run, created: false });
    expect(cli.enqueueClaimedRun('guild-a', { kind: 'full', trigger: 'cli' })).toMatchObject({ run: { id: older.id }, created: false });
    expect(bot.getRun(older.id)?.status).toBe('running');
  });

  it('records progress only while a run is running', () => {
    const store = open();
    const { run } = store.enqueueRun('g1', { kind: 'full', trigger: 'command' });
    expect(store.updateRunProgress(run.id, { epoch: 1 })).toBe(false);
    store.claimNextRun();
    expect(store.updateRunProgress(run.id, { epoch: 2, loss: 1.5 })).toBe(true);
    expect(store.getRun(run.id)?.progress).toEqual({ epoch: 2, loss: 1.5 });
    store.finishRun(run.id, { status: 'cancelled' });
    expect(store.updateRunProgress(run.id, { epoch: 3 })).toBe(false);
  });

  it('finishes an active run once, with its outcome', () => {
    const store = open();
    const { run } = store.enqueueRun('g1', { kind: 'full', trigger: 'command' });
    store.claimNextRun();
    const saved = store.saveModel(model('g1', 0), { promote: true });
    clockAt(9_000);
    const finished = store.finishRun(run.id, {
      status: 'succeeded',
      modelId: saved.id,
      summary: { perplexity: 12.5 },
    });

    expect(finished).toMatchObject({
      status: 'succeeded',
      modelId: saved.id,
      summary: { perplexity: 12.5 },
      error: null,
      finishedAt: 9_000,
    });
    expect(store.finishRun(run.id, { status: 'failed', error: 'late' })).toBeUndefined();
    expect(store.getRun(run.id)?.status).toBe('succeeded');
    expect(store.finishRun(12345, { status: 'failed' })).toBeUndefined();
  });

  it('can cancel a run that is still queued', () => {
    const store = open();
    const { run } = store.enqueueRun('g1', { kind: 'full', trigger: 'command' });
    expect(store.finishRun(run.id, { status: 'cancelled' })?.status).toBe('cancelled');
    expect(store.activeRun('g1')).toBeUndefined();
    expect(store.claimNextRun()).toBeUndefined();
  });

  it('lists the latest runs of a guild, newest first', () => {
    const store = open();
    const ids: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const { run } = store.enqueueRun('g1', { kind: 'full', trigger: 'command' });
      store.finishRun(run.id, { status: 'failed', error: `attempt ${i}` });
      ids.push(run.id);
    }
    store.enqueueRun('g2', { kind: 'full', trigger: 'command' });
    expect(store.latestRuns('g1', 2).map((r) => r.error)).toEqual(['attempt 3', 'attempt 2']);
    expect(store.latestRuns('g1', 10).map((r) => r.id)).toEqual([...ids].reverse());
  });

  it('fails runs interrupted by a restart and queues a replacement for each', () => {
    const store = open();
    const running = store.enqueueRun('g1', {
      kind: 'incremental',
      trigger: 'command',
      requestedBy: 'u7',
    });
    store.claimNextRun();
    const queued = store.enqueueRun('g2', { kind: 'full', trigger: 'schedule' });

    const interrupted = store.failInterruptedRuns();
    expect(interrupted).toHaveLength(1);
    expect(interrupted[0]?.interrupted).toMatchObject({
      id: running.run.id,
      status: 'failed',
      error: 'interrupted',
    });
    expect(interrupted[0]?.requeued).toMatchObject({
      guildId: 'g1',
      status: 'queued',
      kind: 'incremental',
      trigger: 'command',
      requestedBy: 'u7',
    });
    expect(store.activeRun('g1')?.id).toBe(interrupted[0]?.requeued?.id);
    expect(store.activeRun('g2')?.id).toBe(queued.run.id);
    expect(store.failInterruptedRuns()).toEqual([]);
  });

  it('finds guilds with enough changes since their newest model and no active run', () => {
    const store = open();
    const teach = (guildId: string, count: number): void => {
      store.addSentences(
        Array.from({ length: count }, (_, i) => sentence(guildId, 'u1', `${guildId} line ${i}`)),
      );
    };
    teach('quiet', 2);
    teach('busy', 6);
    teach('trained', 8);
    store.saveModel(model('trained', 7), { promote: true });
    teach('training', 9);
    store.enqueueRun('training', { kind: 'full', trigger: 'schedule' });

    expect(store.guildsNeedingRetrain(5)).toEqual([
      { guildId: 'busy', corpusRevision: 6, baselineRevision: 0, changes: 6, removalsPending: false },
    ]);
    const needing = (retrainMinChanges: number): string[] =>
      store.guildsNeedingRetrain(retrainMinChanges).map((g) => g.guildId);
    expect(needing(1)).toEqual(['busy', 'quiet', 'trained']);

    // A rejected model at the current revision means retraining now would learn nothing new.
    store.saveModel(model('busy', 6), { promote: false, rejected: true });
    expect(needing(1)).toEqual(['quiet', 'trained']);
    // Deletions count as changes too.
    expect(store.deleteSentencesByAuthor('busy', 'u1')).toBe(6);
    expect(store.guildsNeedingRetrain(6)).toEqual([
      { guildId: 'busy', corpusRevision: 12, baselineRevision: 6, changes: 6, removalsPending: true },
    ]);
    expect(() => store.guildsNeedingRetrain(0)).toThrow(StoreError);
  });

  it('keeps removals pending, whatever the changes, until a model trained from scratch after them serves', () => {
    const store = open();
    store.addSentences(Array.from({ length: 8 }, (_, i) => sentence('g', 'u1', `line ${i}`)));
    store.saveModel({ ...model('g', 8), fromScratch: true }, { promote: true });
    expect(store.removalsPending('g')).toBe(false);
    store.deleteSentence('g', store.corpusEntries('g')[0]!.id);
    expect(store.removalsPending('g')).toBe(true);
    expect(store.guildsNeedingRetrain(100).map((candidate) => [candidate.guildId, candidate.removalsPending])).toEqual([['g', true]]);
    // A warm-started model, or one trained from scratch that does not serve, leaves them pending.
    store.saveModel({ ...model('g', 9), fromScratch: false }, { promote: true });
    store.saveModel({ ...model('g', 9), fromScratch: true }, { promote: false, rejected: true });
    expect(store.removalsPending('g')).toBe(true);
    store.saveModel({ ...model('g', 9), fromScratch: true }, { promote: true });
    expect(store.removalsPending('g')).toBe(false);
    expect(store.guildsNeedingRetrain(100)).toEqual([]);
  });

  it('dates the latest full retrain that started and was not cut short', () => {
    const store = open();
    clockAt(1_000);
    const first = store.enqueueRun('g', { kind: 'full', trigger: 'schedule' }).run;
    expect(store.lastFullRunAt('g')).toBeNull();
    store.claimNextRun();
    store.finishRun(first.id, { status: 'succeeded' });
    clockAt(2_000);
    const incremental = store.enqueueRun('g', { kind: 'incremental', trigger: 'schedule' }).run;
    store.claimNextRun();
    store.finishRun(incremental.id, { status: 'succeeded' });
    clockAt(3_000);
    const interrupted = store.enqueueRun('g', { kind: 'full', trigger: 'command' }).run;
    store.claimNextRun();
    store.finishRun(interrupted.id, { status: 'failed', error: 'interrupted' });
    expect(store.lastFullRunAt('g')).toBe(1_000);
    clockAt(4_000);
    const failed = store.enqueueRun('g', { kind: 'full', trigger: 'command' }).run;
    store.claimNextRun();
    store.finishRun(failed.id, { status: 'failed', error: 'training worker exited with code 1' });
    expect(store.lastFullRunAt('g')).toBe(4_000);
  });

  it('summarises a guild', () => {
    const store = open();
    store.addSentences([
      sentence('g1', 'u1', 'alpha beta'),
      sentence('g1', 'u2', 'gamma delta'),
      sentence('g1', 'u2', 'epsilon zeta'),
    ]);
    store.saveModel(model('g1', 2), { promote: true });
    const { run } = store.enqueueRun('g1', { kind: 'incremental', trigger: 'schedule' });

    expect(store.stats('g1')).toMatchObject({
      guildId: 'g1',
      corpusRevision: 3,
      sentences: 3,
      contributors: 2,
      servingModel: { version: 1, corpusRevision: 2 },
      changesSinceModel: 1,
      activeRun: { id: run.id, status: 'queued' },
      lastRun: { id: run.id },
    });
    expect(store.stats('unknown')).toEqual({
      guildId: 'unknown',
      corpusRevision: 0,
      sentences: 0,
      contributors: 0,
      servingModel: undefined,
      changesSinceModel: 0,
      activeRun: undefined,
      lastRun: undefined,
    });
  });
});
