/**
 * A small pool of reusable worker threads running one TypeScript module: jobs wait in a bounded
 * queue, each thread runs one job at a time, a thread that crashes is replaced on demand, and an
 * idle thread may end (it starts again with the next job). Starting a thread costs tens of
 * milliseconds and its own heap; a pool of a fixed size bounds both, however many jobs come.
 *
 * The module a pool runs answers jobs with {@link serveJobs} (`pool-worker.ts`).
 *
 * @module
 */
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from './start-worker.ts';

/** What the pool posts to a thread: a job to run, or a notice every thread gets at once. */
export type ToPoolWorker = { kind: 'job'; id: number; job: unknown } | { kind: 'notice'; notice: unknown };

/** What a thread posts back for a job, with its handler's `status` after it (see {@link WorkerPool.statuses}). */
export type FromPoolWorker = ({ id: number; result: unknown } | { id: number; error: string }) & { status?: unknown };

/** Options of a {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** Threads at most, started on demand. */
  size: number;
  /** Jobs that may wait for a thread; beyond them {@link WorkerPool.run} refuses with {@link PoolFullError}. Unbounded when absent. */
  maxWaiting?: number;
  /** A thread without a job for this long ends; threads stay when absent. */
  idleMs?: number;
  /** The `workerData` of every thread. */
  workerData?: unknown;
}

/** {@link WorkerPool.run} refused a job: the threads are busy and the queue is full. */
export class PoolFullError extends Error {
  override name = 'PoolFullError';
}

/** A job failed in its thread, or the thread ended while running it. */
export class PoolJobError extends Error {
  override name = 'PoolJobError';
}

interface Pending {
  id: number;
  job: unknown;
  urgent: boolean;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

interface PoolThread {
  worker: Worker;
  running: Pending | null;
  idleTimer: ReturnType<typeof setTimeout> | null;
  /** What the thread reported with its last answer. */
  status: unknown;
}

/** See the module description. `Job` and `Result` cross the thread boundary: plain data only. */
export class WorkerPool<Job, Result> {
  readonly #entry: URL;
  readonly #options: WorkerPoolOptions;
  readonly #threads = new Set<PoolThread>();
  readonly #waiting: Pending[] = [];
  #nextId = 1;
  #started = 0;
  #closed = false;

  /** @param entry - the module each thread runs, e.g. `new URL('./worker.ts', import.meta.url)`. */
  constructor(entry: URL, options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`a pool needs at least one thread, got ${options.size}`);
    this.#entry = entry;
    this.#options = options;
  }

  /** Threads started since the pool was created (replacements and restarts after idling included). */
  get threadsStarted(): number {
    return this.#started;
  }

  /** Threads alive now. */
  get threads(): number {
    return this.#threads.size;
  }

  /** Jobs waiting for a thread. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** The status each live thread reported with its last answer (threads yet to answer have none). */
  get statuses(): unknown[] {
    return [...this.#threads].map((thread) => thread.status).filter((status) => status !== undefined);
  }

  /**
   * Runs a job on the first free thread; an `urgent` job waits before the jobs that are not (after
   * the urgent ones already waiting).
   *
   * @throws PoolFullError (synchronously, through the promise) when the queue is full.
   * @throws PoolJobError when the job fails in its thread or the thread ends while running it.
   */
  run(job: Job, options: { urgent?: boolean } = {}): Promise<Result> {
    if (this.#closed) return Promise.reject(new PoolJobError('the worker pool is closed'));
    const limit = this.#options.maxWaiting;
    const free = [...this.#threads].some((thread) => thread.running === null) || this.#threads.size < this.#options.size;
    if (!free && limit !== undefined && this.#waiting.length >= limit) {
      return Promise.reject(new PoolFullError(`${this.#waiting.length} jobs are already waiting`));
    }
    const urgent = options.urgent === true;
    return new Promise<Result>((resolve, reject) => {
      const pending = { id: this.#nextId++, job, urgent, resolve: resolve as (result: unknown) => void, reject };
      const firstNotUrgent = urgent ? this.#waiting.findIndex((waiting) => !waiting.urgent) : -1;
      this.#waiting.splice(firstNotUrgent === -1 ? this.#waiting.length : firstNotUrgent, 0, pending);
      this.#dispatch();
    });
  }

  /** Posts a notice to every running thread; it is handled before any job posted after it. */
  notify(notice: unknown): void {
    for (const thread of this.#threads) thread.worker.postMessage({ kind: 'notice', notice } satisfies ToPoolWorker);
  }

  /** Refuses the waiting jobs and ends every thread (a running job is rejected). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#waiting.splice(0)) pending.reject(new PoolJobError('the worker pool is closed'));
    await Promise.all([...this.#threads].map((thread) => this.#end(thread)));
  }

  #dispatch(): void {
    while (this.#waiting.length > 0) {
      const thread = [...this.#threads].find((candidate) => candidate.running === null) ?? this.#startThread();
      if (thread === null) return;
      const pending = this.#waiting.shift()!;
      if (thread.idleTimer !== null) clearTimeout(thread.idleTimer);
      thread.idleTimer = null;
      thread.running = pending;
      thread.worker.postMessage({ kind: 'job', id: pending.id, job: pending.job } satisfies ToPoolWorker);
    }
  }

  #startThread(): PoolThread | null {
    if (this.#threads.size >= this.#options.size) return null;
    const worker = startTypeScriptWorker(this.#entry, { workerData: this.#options.workerData });
    const thread: PoolThread = { worker, running: null, idleTimer: null, status: undefined };
    this.#threads.add(thread);
    this.#started += 1;
    worker.on('message', (message: FromPoolWorker) => this.#onAnswer(thread, message));
    let failure: Error | null = null;
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => {
      this.#threads.delete(thread);
      if (thread.idleTimer !== null) clearTimeout(thread.idleTimer);
      const running = thread.running;
      thread.running = null;
      running?.reject(new PoolJobError(failure === null ? `the worker thread exited with code ${code}` : `the worker thread failed: ${failure.message}`));
      if (!this.#closed) this.#dispatch();
    });
    return thread;
  }

  #onAnswer(thread: PoolThread, message: FromPoolWorker): void {
    if (message.status !== undefined) thread.status = message.status;
    const running = thread.running;
    if (running === null || running.id !== message.id) return;
    thread.running = null;
    if ('error' in message) running.reject(new PoolJobError(message.error));
    else running.resolve(message.result);
    this.#dispatch();
    if (thread.running === null && this.#options.idleMs !== undefined && !this.#closed) {
      thread.idleTimer = setTimeout(() => void this.#end(thread), this.#options.idleMs);
      // An idle thread never keeps the process alive.
      thread.idleTimer.unref();
    }
  }

  async #end(thread: PoolThread): Promise<void> {
    if (thread.idleTimer !== null) clearTimeout(thread.idleTimer);
    thread.idleTimer = null;
    // Leaving the set at once keeps a job dispatched meanwhile off a thread that is ending.
    this.#threads.delete(thread);
    await thread.worker.terminate();
  }
}
