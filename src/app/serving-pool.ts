/**
 * Where the use cases that run a model run: off the main thread, which holds the Discord connection
 * and answers every server's interactions (and the 3-second acknowledgements Discord expects).
 * `/explain`'s measurements and `/generate` take from a few hundred milliseconds to seconds of CPU;
 * `/predict` and autocomplete a few milliseconds each, but at a hundred interactions a second they
 * are the main thread's largest share of work. Each runs in a small pool of worker threads that
 * hold serving models of their own; the bot has two pools, so that members flooding the slow
 * commands never hold up predictions.
 *
 * @module
 */
import type { BackendName } from '../lm/backend.ts';
import type { Store } from '../store/index.ts';
import { PoolFullError, WorkerPool } from '../threads/worker-pool.ts';
import type { HeldModels, ModelRegistry, ModelRegistrySettings } from './model-registry.ts';
import { runServingJob, type ServingJob, type ServingResult, type ServingResults } from './serving-jobs.ts';

/** What each serving thread is started with. */
export interface ServingWorkerData {
  /** The database file each thread opens its own read-only connection to. */
  dbPath: string;
  /** The TensorFlow.js backend the main thread uses. */
  backend: BackendName;
  /** The memory limits of the thread's own models. */
  cache: ModelRegistrySettings;
}

/** What the serving threads are told besides their jobs. */
export interface ServingNotice {
  kind: 'recount';
  guildId: string;
}

/** Options of {@link createServingPool}. */
export interface ServingPoolOptions {
  /** Threads at most. */
  threads: number;
  /** Jobs that may wait for a thread. */
  maxWaiting: number;
  /**
   * What a job finds when its jobs waiting fill the queue: `refuse` ({@link ServingBusyError}), or
   * `run-here`, on `models` in this thread (for jobs that are cheap and owed an answer).
   */
  whenFull: 'refuse' | 'run-here';
  backend: BackendName;
  cache: ModelRegistrySettings;
  /** The main thread's models, which answer jobs of an in-memory store (and jobs run here). */
  models: ModelRegistry;
}

/**
 * Jobs that may wait for a thread of `/generate` and `/explain`. Cooldowns keep the queue short; a
 * flood beyond them is refused at once rather than answered minutes late.
 */
export const MAX_WAITING_JOBS = 32;

/**
 * Predictions (`/predict`, autocomplete) that may wait for their thread: a forward pass takes a few
 * milliseconds, so the last waits well under a second. Beyond them the main thread answers, later
 * than the thread would but never refusing a member.
 */
export const MAX_WAITING_PREDICTIONS = 64;

/** Runs serving jobs off the main thread. */
export interface ServingPool {
  /**
   * Runs a job on the guild's model in a serving thread; an `urgent` job (one whose answer is due
   * within Discord's 3 s) goes before the jobs waiting that are not.
   *
   * @throws ServingBusyError when the queue is full and the pool refuses (see {@link ServingPoolOptions.whenFull}).
   */
  run<Job extends ServingJob>(job: Job, options?: { urgent?: boolean }): Promise<ServingResults[Job['kind']]>;
  /**
   * Sentences of the guild were removed: each thread digests its corpus again before its next job
   * on the guild's model (see `ModelRegistry.recountCorpus`).
   */
  recountCorpus(guildId: string): void;
  /** The models the pool's threads hold, as each reported with its last answer (none in-memory: the main thread's). */
  held(): HeldModels;
  /** Ends the threads. */
  close(): Promise<void>;
}

/** Too many jobs wait already: the member should try again in a few seconds. */
export class ServingBusyError extends Error {
  override name = 'ServingBusyError';
}

const WORKER_URL = new URL('./serving-worker.ts', import.meta.url);

/**
 * Worker threads for a file store; for an in-memory store, which no other connection can see, the
 * jobs run in this thread on `models`.
 */
export function createServingPool(store: Store, options: ServingPoolOptions): ServingPool {
  const dbPath = store.location;
  if (dbPath === null) {
    return {
      run: (job) => runServingJob(options.models, store, job),
      // The jobs use the main thread's models, which the removal recounts itself.
      recountCorpus: () => undefined,
      held: () => ({ models: 0, bytes: 0 }),
      close: () => Promise.resolve(),
    };
  }
  const pool = new WorkerPool<ServingJob, ServingResult>(WORKER_URL, {
    size: options.threads,
    maxWaiting: options.maxWaiting,
    workerData: { dbPath, backend: options.backend, cache: options.cache } satisfies ServingWorkerData,
  });
  return {
    async run<Job extends ServingJob>(job: Job, runOptions: { urgent?: boolean } = {}) {
      try {
        // The thread answers each job with the result of its kind.
        return (await pool.run(job, runOptions)) as ServingResults[Job['kind']];
      } catch (error) {
        if (!(error instanceof PoolFullError)) throw error;
        if (options.whenFull === 'refuse') throw new ServingBusyError(error.message);
        return runServingJob(options.models, store, job);
      }
    },
    recountCorpus: (guildId) => pool.notify({ kind: 'recount', guildId } satisfies ServingNotice),
    // The threads' statuses are what serving-worker.ts reports: its registry's held models.
    held: () =>
      (pool.statuses as HeldModels[]).reduce((total, thread) => ({ models: total.models + thread.models, bytes: total.bytes + thread.bytes }), { models: 0, bytes: 0 }),
    close: () => pool.close(),
  };
}
