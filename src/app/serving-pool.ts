/**
 * Where the slow use cases run: `/explain`'s measurements and `/generate` take from a few hundred
 * milliseconds to seconds of CPU, and on the main thread they would hold up every other server's
 * interactions (and the 3-second acknowledgements Discord expects). They run in a small pool of
 * worker threads that hold serving models of their own; `/predict` and autocomplete, a few
 * milliseconds each, stay on the main thread.
 *
 * @module
 */
import type { BackendName } from '../lm/backend.ts';
import type { Store } from '../store/index.ts';
import { PoolFullError, WorkerPool } from '../threads/worker-pool.ts';
import type { ModelRegistry, ModelRegistrySettings } from './model-registry.ts';
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
  /** Serving threads (`SERVING_WORKERS`). */
  threads: number;
  backend: BackendName;
  cache: ModelRegistrySettings;
  /** The main thread's models, which answer jobs of an in-memory store. */
  models: ModelRegistry;
}

/**
 * Jobs that may wait for a serving thread. Cooldowns keep the queue short; a flood beyond them is
 * refused at once rather than answered minutes late.
 */
export const MAX_WAITING_JOBS = 32;

/** Runs serving jobs off the main thread. */
export interface ServingPool {
  /**
   * Runs a job on the guild's model in a serving thread.
   *
   * @throws ServingBusyError when {@link MAX_WAITING_JOBS} jobs are already waiting.
   */
  run<Job extends ServingJob>(job: Job): Promise<ServingResults[Job['kind']]>;
  /**
   * Sentences of the guild were removed: each thread digests its corpus again before its next job
   * on the guild's model (see `ModelRegistry.recountCorpus`).
   */
  recountCorpus(guildId: string): void;
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
  const dbPath = store.file;
  if (dbPath === null) {
    return {
      run: (job) => runServingJob(options.models, store, job),
      // The jobs use the main thread's models, which the removal recounts itself.
      recountCorpus: () => undefined,
      close: () => Promise.resolve(),
    };
  }
  const pool = new WorkerPool<ServingJob, ServingResult>(WORKER_URL, {
    size: options.threads,
    maxWaiting: MAX_WAITING_JOBS,
    workerData: { dbPath, backend: options.backend, cache: options.cache } satisfies ServingWorkerData,
  });
  return {
    async run<Job extends ServingJob>(job: Job) {
      try {
        // The thread answers each job with the result of its kind.
        return (await pool.run(job)) as ServingResults[Job['kind']];
      } catch (error) {
        throw error instanceof PoolFullError ? new ServingBusyError(error.message) : error;
      }
    },
    recountCorpus: (guildId) => pool.notify({ kind: 'recount', guildId } satisfies ServingNotice),
    close: () => pool.close(),
  };
}
