import { spawnSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.ts';
import { openStore, restoreStore } from '../../src/store/store.ts';
import { startTypeScriptWorker } from '../../src/threads/start-worker.ts';
import type { RaceWorkerData } from '../support/store-race-worker.ts';
import { TEST_DATABASE_URL } from '../support/postgres-databases.ts';
import { sentence, usePostgresStores } from './helpers.ts';

const RACE_WORKER_URL = new URL('../support/store-race-worker.ts', import.meta.url);

/** Starts `count` racers, each with its own store on `url`, lets them go at once and collects what each got. */
async function race(count: number, data: (index: number) => Omit<RaceWorkerData, 'start' | 'url'>, url: string): Promise<unknown[][]> {
  const start = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  const results: Promise<unknown[]>[] = [];
  for (let index = 0; index < count; index += 1) {
    const worker = startTypeScriptWorker(RACE_WORKER_URL, { workerData: { ...data(index), url, start } satisfies RaceWorkerData });
    workers.push(worker);
    const messages: unknown[] = [];
    ready.push(new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (message: unknown) => {
        messages.push(message);
        if (message === 'ready') resolve();
      });
    }));
    results.push(new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => (code === 0 ? resolve(messages.at(-1) as unknown[]) : reject(new Error(`racer exited with ${code}`))));
    }));
  }
  await Promise.all(ready);
  Atomics.store(new Int32Array(start), 0, 1);
  Atomics.notify(new Int32Array(start), 0);
  return Promise.all(results);
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(TEST_DATABASE_URL === undefined)(
  TEST_DATABASE_URL === undefined ? 'the PostgreSQL store (skipped: TEST_DATABASE_URL is not set)' : 'the PostgreSQL store',
  () => {
    const { open, location, connect } = usePostgresStores(TEST_DATABASE_URL ?? 'postgres://unset');

    it('reports a failing statement as a StoreError with the server’s message and code', () => {
      const db = connect(location());
      expect(() => db.prepare('SELECT * FROM no_such_table').all()).toThrow(StoreError);
      expect(() => db.prepare('SELECT * FROM no_such_table').all()).toThrow('relation "no_such_table" does not exist (42P01)');
      // The connection is still usable afterwards.
      expect(db.prepare<[number], number>('SELECT ? + 1').pluck().get(41)).toBe(42);
    });

    it('fails to open with a StoreError when nothing listens, rather than waiting', async () => {
      const url = `postgres://postgres@127.0.0.1:${await closedPort()}/nothing`;
      expect(() => openStore(url)).toThrow(StoreError);
      expect(() => openStore(url)).toThrow(/cannot connect to postgres:\/\/postgres@127\.0\.0\.1:\d+\/nothing: .*ECONNREFUSED/);
    });

    it('ends its connection when closed, and never keeps the process alive', () => {
      const database = location();
      const name = new URL(database).pathname.slice(1);
      const admin = connect(TEST_DATABASE_URL!);
      const backends = (): number =>
        admin.prepare<[string], number>('SELECT count(*) FROM pg_stat_activity WHERE datname = ?').pluck().get(name) ?? 0;
      const store = open(database);
      expect(backends()).toBe(1);
      store.close();
      // The server ends the backend just after the client's goodbye.
      for (let waited = 0; backends() > 0 && waited < 100; waited += 1) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      expect(backends()).toBe(0);

      const storeModule = new URL('../../src/store/store.ts', import.meta.url).href;
      for (const ending of ['store.close();', '// left open']) {
        const child = spawnSync(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '--eval', `
            import { openStore } from ${JSON.stringify(storeModule)};
            const store = openStore(${JSON.stringify(database)});
            store.addSentence({ guildId: 'g', channelId: null, authorId: 'u', text: 'a b', tokens: ['a', 'b'], dedupeKey: 'a b', source: 'console' });
            ${ending}
          `],
          { encoding: 'utf8', timeout: 60_000 },
        );
        expect(child.status, `${ending}: ${child.stderr}`).toBe(0);
      }
      expect(open(database).countSentences('g')).toBe(1);
    });

    it('carries on over a new connection when the server ends the one it had', () => {
      const database = location();
      const store = open(database);
      store.addSentence(sentence('g', 'u', 'before the cut'));
      const db = connect(database);
      const pid = (): number | undefined => db.prepare<[], number>('SELECT pg_backend_pid()').pluck().get();
      const first = pid();
      const admin = connect(TEST_DATABASE_URL!);
      const name = new URL(database).pathname.slice(1);
      expect(admin.prepare<[string], boolean>('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?').pluck().all(name)).toEqual([true, true]);
      // The first call may be the one to find its connection gone; the next ones have a new one.
      for (const call of [() => store.countSentences('g'), pid]) {
        try {
          call();
        } catch (error) {
          expect(error).toBeInstanceOf(StoreError);
        }
      }
      expect(store.countSentences('g')).toBe(1);
      expect(store.addSentence(sentence('g', 'u', 'after the cut')).status).toBe('added');
      const second = pid();
      expect(second).not.toBe(first);
      // Replaced once, not at every statement.
      expect(pid()).toBe(second);
    });

    it('leaves backups and restores to pg_dump and pg_restore, and has no log to checkpoint', async () => {
      const database = location();
      const store = open(database);
      const added = store.addSentence(sentence('g', 'u', 'a passing thought'));
      await expect(store.backup(path.join(os.tmpdir(), 'never-written.sqlite'))).rejects.toThrow(/pg_dump/);
      await expect(restoreStore(database, path.join(os.tmpdir(), 'never-read.sqlite'))).rejects.toThrow(/pg_restore/);
      expect(store.deleteSentence('g', added.status === 'added' ? added.id : -1)).toBe(true);
      expect(store.checkpoint()).toBe(true);
      expect(store.countSentences('g')).toBe(0);
    });

    it('returns weights of any size as exactly the stored bytes', () => {
      const store = open();
      const weights = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => (i * 7919) % 256);
      store.saveModel({ guildId: 'g', topology: {}, weights, vocabulary: [], hyperparameters: {}, metrics: {}, corpusSentences: 0, corpusRevision: 0 }, { promote: true });
      const stored = store.servingModel('g');
      expect(stored?.weights).toBeInstanceOf(ArrayBuffer);
      expect(stored?.weights.byteLength).toBe(weights.byteLength);
      expect(Buffer.from(stored!.weights).equals(Buffer.from(weights))).toBe(true);
    });

    it('hands each queued run to one claimer only, however many connections race for them', async () => {
      const database = location();
      const store = open(database);
      const runs = 60;
      for (let i = 0; i < runs; i += 1) store.enqueueRun(`g${i}`, { kind: 'incremental', trigger: 'schedule' });

      const claimed = (await race(4, () => ({ task: 'claim' }), database)).flat() as number[];
      expect(claimed).toHaveLength(runs);
      expect(new Set(claimed).size).toBe(runs);
      expect(store.activeRunCounts()).toEqual({ queued: 0, running: runs });
    });

    it('queues one run per guild and adds a sentence once when connections race to do it', async () => {
      const database = location();
      const guilds = Array.from({ length: 20 }, (_, i) => `g${i}`);
      const texts = Array.from({ length: 20 }, (_, i) => `words number ${i}`);

      const enqueued = (await race(3, () => ({ task: 'enqueue', guilds }), database)).flat() as [string, number, boolean][];
      for (const guildId of guilds) {
        const calls = enqueued.filter(([guild]) => guild === guildId);
        expect(calls.filter(([, , created]) => created)).toHaveLength(1);
        expect(new Set(calls.map(([, runId]) => runId)).size).toBe(1);
      }

      const taught = (await race(3, () => ({ task: 'teach', texts }), database)).flat() as [string, string][];
      for (const text of texts) expect(taught.filter(([t, status]) => t === text && status === 'added')).toHaveLength(1);
      const store = open(database);
      expect(store.countSentences('g')).toBe(texts.length);
      expect(store.corpusRevision('g')).toBe(texts.length);
    });
  },
);
