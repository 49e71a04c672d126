/**
 * The main-thread side of background training: each run gets a fresh worker thread, so
 * TensorFlow.js never runs on the main thread and whatever memory a run leaves behind (tensors,
 * the wasm heap, which never shrinks) is released when the thread ends.
 *
 * @module
 */
import type { ResourceLimits, Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '../threads/start-worker.ts';
import type { FromWorker, ToWorker, WorkerInput } from './protocol.ts';
import { INTERRUPTED, type JobRunner } from './runner.ts';
import type { RunResult } from './types.ts';

/** Options of {@link createWorkerRunner}. */
export interface WorkerRunnerOptions {
  /** The database file the worker opens its own connection to. */
  dbPath: string;
  /**
   * V8 heap limits of the worker; exceeding them ends the run as failed, not the bot. The wasm
   * heap lives outside these limits.
   */
  resourceLimits?: ResourceLimits;
  /** How long an aborted job may take to stop by itself before its thread is terminated. */
  abortGraceMs?: number;
  /** Called with each new worker (e.g. to log its thread id, or to terminate it in a test). */
  onWorker?: (worker: Worker, runId: number) => void;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url);

/**
 * The training worker's V8 heap limit by default: the JavaScript side of a 100,000-sentence run
 * (corpus, vocabulary, batches, the 3-gram's counts) stays well under 1 GB, and the tensors live
 * in the wasm heap, outside this limit.
 */
export const DEFAULT_WORKER_MAX_HEAP_MB = 2048;
const DEFAULT_ABORT_GRACE_MS = 15_000;

/**
 * A {@link JobRunner} that runs each job in its own worker thread. A worker that throws, runs out
 * of memory or exits without reporting ends the run as failed with that error; when the run was
 * aborted the error is 'interrupted'.
 */
export function createWorkerRunner(options: WorkerRunnerOptions): JobRunner {
  const graceMs = options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS;
  return (request, hooks) =>
    new Promise<RunResult>((resolve) => {
      const runId = request.run.id;
      const input: WorkerInput = { dbPath: options.dbPath, runId, settings: request.settings };
      const worker = startTypeScriptWorker(WORKER_URL, {
        workerData: input,
        ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      });
      let result: RunResult | undefined;
      let failure: string | undefined;
      let terminateTimer: NodeJS.Timeout | undefined;

      const abort = (): void => {
        worker.postMessage({ type: 'abort' } satisfies ToWorker);
        terminateTimer = setTimeout(() => void worker.terminate(), graceMs);
      };
      if (hooks.signal.aborted) abort();
      else hooks.signal.addEventListener('abort', abort, { once: true });

      worker.on('message', (message: FromWorker) => {
        if (message.type === 'progress') hooks.onProgress(message.progress);
        else result = message.result;
      });
      worker.on('error', (error) => {
        failure ??= `training worker failed: ${error.message}`;
      });
      worker.on('exit', (code) => {
        clearTimeout(terminateTimer);
        hooks.signal.removeEventListener('abort', abort);
        resolve(
          result ?? {
            status: 'failed',
            runId,
            error: hooks.signal.aborted ? INTERRUPTED : (failure ?? `training worker exited with code ${code}`),
          },
        );
      });
      options.onWorker?.(worker, runId);
    });
}
