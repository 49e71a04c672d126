import { spawn } from 'node:child_process';
import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreError } from '../../src/store/errors.ts';
import { migrate, migrations } from '../../src/store/migrations.ts';
import type { Store } from '../../src/store/store.ts';
import { describeEachBackend, model } from './helpers.ts';

afterEach(() => {
  vi.useRealTimers();
});

function clockAt(ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ms);
}

describeEachBackend('training runs and their owners', ({ open, location, connect }) => {
  /** A store file and a running run of guild g1 claimed through it. */
  function claimedRun(): { file: string; store: Store; runId: number } {
    const file = location();
    const store = open(file);
    store.enqueueRun('g1', { kind: 'incremental', trigger: 'schedule' });
    const run = store.claimNextRun();
    if (run === undefined) throw new Error('nothing to claim');
    return { file, store, runId: run.id };
  }

  /** Makes the run look claimed by `owner`, as another process would have done. */
  function setOwner(file: string, runId: number, owner: string): void {
    connect(file).prepare('UPDATE training_runs SET owner = ? WHERE id = ?').run(owner, runId);
  }

  describe('training run ownership', () => {
    it('records the claiming process and the claim time as the first heartbeat', () => {
      clockAt(1_000);
      const { store, runId } = claimedRun();
      const run = store.getRun(runId);
      expect(run?.owner).toMatch(new RegExp(`^${os.hostname()}/${process.pid}/\\w+$`));
      expect(run?.heartbeatAt).toBe(1_000);
    });

    it('takes heartbeats and progress as signs of life, only while the run is running', () => {
      clockAt(1_000);
      const { store, runId } = claimedRun();
      clockAt(2_000);
      expect(store.heartbeatRun(runId)).toBe(true);
      expect(store.getRun(runId)?.heartbeatAt).toBe(2_000);
      clockAt(3_000);
      store.updateRunProgress(runId, { epoch: 1 });
      expect(store.getRun(runId)?.heartbeatAt).toBe(3_000);
      store.finishRun(runId, { status: 'succeeded' });
      expect(store.heartbeatRun(runId)).toBe(false);
    });

    it('leaves alone the runs this process says it is working on', () => {
      const { store, runId } = claimedRun();
      expect(store.failInterruptedRuns({ activeRunIds: [runId] })).toEqual([]);
      expect(store.getRun(runId)?.status).toBe('running');
    });

    it('leaves a run to a live process of this host, and fails it once that process has ended', async () => {
      const { file, store, runId } = claimedRun();
      const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
      try {
        setOwner(file, runId, `${os.hostname()}/${other.pid}/a1b2c3d4`);
        expect(store.failInterruptedRuns()).toEqual([]);
      } finally {
        const exited = new Promise((resolve) => other.once('exit', resolve));
        other.kill('SIGKILL');
        await exited;
      }
      const [found] = store.failInterruptedRuns();
      expect(found?.interrupted).toMatchObject({ id: runId, status: 'failed', error: 'interrupted' });
      expect(found?.requeued).toMatchObject({ guildId: 'g1', status: 'queued', kind: 'incremental', owner: null });
    });

    it('fails a run of an earlier process that had the same pid', () => {
      const { file, store, runId } = claimedRun();
      setOwner(file, runId, `${os.hostname()}/${process.pid}/00000000`);
      expect(store.failInterruptedRuns().map(({ interrupted }) => interrupted.id)).toEqual([runId]);
    });

    it('fails a run of another host only once its heartbeat is older than the limit', () => {
      clockAt(10_000);
      const { file, store, runId } = claimedRun();
      setOwner(file, runId, 'another-host/4242/a1b2c3d4');
      clockAt(20_000);
      store.heartbeatRun(runId);
      clockAt(20_000 + 60_000);
      expect(store.failInterruptedRuns({ staleAfterMs: 60_000 })).toEqual([]);
      clockAt(20_000 + 60_001);
      expect(store.failInterruptedRuns({ staleAfterMs: 60_000 }).map(({ interrupted }) => interrupted.id)).toEqual([runId]);
    });

    it('fails a run claimed before owners were recorded, after the migration', () => {
      const file = location();
      const db = connect(file);
      migrate(db, migrations.filter((step) => step.version === 1));
      db.prepare("INSERT INTO guilds (id, created_at) VALUES ('g1', 0)").run();
      db.prepare(
        `INSERT INTO training_runs (guild_id, status, kind, "trigger", created_at, started_at)
         VALUES ('g1', 'running', 'full', 'command', 0, 0)`,
      ).run();

      const store = open(file);
      const [found] = store.failInterruptedRuns({ staleAfterMs: Number.MAX_SAFE_INTEGER });
      expect(found?.interrupted).toMatchObject({ guildId: 'g1', status: 'failed', error: 'interrupted', owner: null, heartbeatAt: null });
      expect(found?.requeued).toMatchObject({ guildId: 'g1', status: 'queued', kind: 'full' });
    });
  });

  describe('finishing a run with its model', () => {
    it('saves the model and finishes the run as succeeded together', () => {
      const { store, runId } = claimedRun();
      const saved = store.finishRunWithModel(runId, model('g1', 3), { promote: true }, ({ version }) => ({ modelVersion: version }));
      expect(store.getRun(runId)).toMatchObject({ status: 'succeeded', modelId: saved.id, summary: { modelVersion: saved.version } });
      expect(store.servingModelInfo('g1')).toMatchObject({ id: saved.id, version: 1 });
    });

    it('saves nothing when the run was failed as interrupted meanwhile', () => {
      const { store, runId } = claimedRun();
      store.failInterruptedRuns();
      expect(() => store.finishRunWithModel(runId, model('g1', 3), { promote: true }, () => ({}))).toThrow(StoreError);
      expect(store.listModels('g1')).toEqual([]);
      expect(store.getRun(runId)).toMatchObject({ status: 'failed', error: 'interrupted', modelId: null });
      // The version number was not used up either.
      expect(store.finishRunWithModel(store.claimNextRun()!.id, model('g1', 3), { promote: true }, () => ({})).version).toBe(1);
    });
  });
});
