/**
 * Messages between the main thread and the training worker. Everything is structured-cloneable.
 *
 * @module
 */
import type { JobSettings } from './job-settings.ts';
import type { RunProgress, RunResult } from './types.ts';

/** What the worker is started with (`workerData`). */
export interface WorkerInput {
  dbPath: string;
  runId: number;
  settings: JobSettings;
}

/** Main thread -> worker. */
export type ToWorker = { type: 'abort' };

/** Worker -> main thread. */
export type FromWorker =
  | { type: 'progress'; progress: RunProgress }
  | { type: 'result'; result: RunResult };
