/**
 * The contract between the scheduler and whatever executes a training run: by default a worker
 * thread ({@link createWorkerRunner} in `worker-runner.ts`), in tests anything that honours it.
 *
 * @module
 */
import type { TrainingRun } from '../store/types.ts';
import type { JobSettings } from './job-settings.ts';
import type { RunProgress, RunResult } from './types.ts';

/** One claimed run to execute. Plain data, so it can cross a thread boundary. */
export interface JobRequest {
  /** The run, already claimed (status 'running'). */
  run: TrainingRun;
  settings: JobSettings;
}

/** How the scheduler follows and controls a job. */
export interface JobHooks {
  /** Aborted when the service stops: the job should end promptly without promoting anything. */
  signal: AbortSignal;
  onProgress(progress: RunProgress): void;
}

/**
 * Executes one run. It records the outcome in the store itself (model saved and run finished)
 * and resolves with it; it may also reject, or resolve with a failure without having recorded
 * it (a crashed worker cannot), in which case the scheduler marks the run failed.
 */
export type JobRunner = (request: JobRequest, hooks: JobHooks) => Promise<RunResult>;

/** The error a run is failed with when a stop or crash cut it short (the store uses the same). */
export const INTERRUPTED = 'interrupted';
