import { describe, expect, it } from 'vitest';
import { PoolFullError, PoolJobError, WorkerPool } from '../../src/threads/worker-pool.ts';
import type { EchoJob, EchoResult } from './echo-worker.ts';

const ECHO = new URL('./echo-worker.ts', import.meta.url);

async function withPool<T>(options: ConstructorParameters<typeof WorkerPool>[1], use: (pool: WorkerPool<EchoJob, EchoResult>) => Promise<T>): Promise<T> {
  const pool = new WorkerPool<EchoJob, EchoResult>(ECHO, options);
  try {
    return await use(pool);
  } finally {
    await pool.close();
  }
}

describe('WorkerPool', () => {
  it('runs many jobs on at most its threads, reusing them', async () => {
    await withPool({ size: 2 }, async (pool) => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, index) => pool.run({ echo: `job ${index}`, delayMs: 20 })));
      expect(results.map((result) => result.echo)).toEqual(Array.from({ length: 10 }, (_, index) => `job ${index}`));
      expect(new Set(results.map((result) => result.threadId)).size).toBe(2);
      expect(pool.threadsStarted).toBe(2);
    });
  });

  it('keeps the status each live thread sent with its last answer, failed jobs included', async () => {
    await withPool({ size: 2 }, async (pool) => {
      expect(pool.statuses).toEqual([]);
      const first = await pool.run({ echo: 'a' });
      await expect(pool.run({ fail: 'no' })).rejects.toBeInstanceOf(PoolJobError);
      await Promise.all([pool.run({ echo: 'b', delayMs: 50 }), pool.run({ echo: 'c', delayMs: 50 })]);
      const statuses = pool.statuses as { threadId: number; answered: number }[];
      expect(statuses).toHaveLength(2);
      expect(statuses.reduce((sum, status) => sum + status.answered, 0)).toBe(4);
      expect(statuses.map((status) => status.threadId)).toContain(first.threadId);
    });
  });

  it('refuses a job at once when its threads are busy and the queue is full', async () => {
    await withPool({ size: 1, maxWaiting: 2 }, async (pool) => {
      const accepted = [pool.run({ echo: 'a', delayMs: 200 }), pool.run({ echo: 'b' }), pool.run({ echo: 'c' })];
      await expect(pool.run({ echo: 'd' })).rejects.toBeInstanceOf(PoolFullError);
      expect((await Promise.all(accepted)).map((result) => result.echo)).toEqual(['a', 'b', 'c']);
      expect((await pool.run({ echo: 'e' })).echo).toBe('e');
    });
  });

  it('runs an urgent job before the waiting jobs that are not, after the urgent ones', async () => {
    await withPool({ size: 1 }, async (pool) => {
      const finished: string[] = [];
      const run = (echo: string, urgent: boolean, delayMs = 0) => pool.run({ echo, delayMs }, { urgent }).then((result) => finished.push(result.echo));
      await Promise.all([run('running', false, 200), run('waiting 1', false), run('waiting 2', false), run('urgent 1', true), run('urgent 2', true)]);
      expect(finished).toEqual(['running', 'urgent 1', 'urgent 2', 'waiting 1', 'waiting 2']);
    });
  });

  it('rejects a failed job with its error and keeps the thread', async () => {
    await withPool({ size: 1 }, async (pool) => {
      await expect(pool.run({ fail: 'no such guild' })).rejects.toThrow(new PoolJobError('no such guild'));
      expect((await pool.run({ echo: 'after' })).echo).toBe('after');
      expect(pool.threadsStarted).toBe(1);
    });
  });

  it('rejects the job of a thread that ends and starts another for the next job', async () => {
    await withPool({ size: 1 }, async (pool) => {
      const crashing = pool.run({ exit: 3 });
      const waiting = pool.run({ echo: 'queued behind the crash' });
      await expect(crashing).rejects.toThrow(/exited with code 3/);
      expect((await waiting).echo).toBe('queued behind the crash');
      expect(pool.threadsStarted).toBe(2);
    });
  });

  it('ends an idle thread and starts one again when a job comes', async () => {
    await withPool({ size: 1, idleMs: 50 }, async (pool) => {
      await pool.run({ echo: 'first' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(pool.threads).toBe(0);
      expect((await pool.run({ echo: 'again' })).echo).toBe('again');
      expect(pool.threadsStarted).toBe(2);
    });
  });

  it('hands a notice to every running thread before the jobs posted after it', async () => {
    await withPool({ size: 2 }, async (pool) => {
      await Promise.all([pool.run({ echo: 'a', delayMs: 50 }), pool.run({ echo: 'b', delayMs: 50 })]);
      pool.notify({ recount: 'g' });
      const results = await Promise.all([pool.run({ echo: 'c', delayMs: 50 }), pool.run({ echo: 'd', delayMs: 50 })]);
      expect(results.map((result) => result.notices)).toEqual([[{ recount: 'g' }], [{ recount: 'g' }]]);
    });
  });
});
