/**
 * What the training service (`service.ts`) is made from and how it is spoken to: the store
 * operations and logger it relies on, its options, a retrain request and the events it emits.
 */
import type { Store } from '../store/store.ts';
import type { RunTrigger } from '../store/types.ts';
import type { Clock } from './clock.ts';
import type { JobSettings } from './job-settings.ts';
import type { JobRunner } from './runner.ts';
import type { TrainingConfig } from './schedule-settings.ts';
import type { RunProgress, RunResult } from './types.ts';
import type { WorkerRunnerOptions } from './worker-runner.ts';

/** The store operations the service relies on. */
export type TrainingStore = Pick<
  Store,
  | 'enqueueRun'
  | 'claimNextRun'
  | 'finishRun'
  | 'getRun'
  | 'activeRun'
  | 'failInterruptedRuns'
  | 'failureStreak'
  | 'guildsNeedingRetrain'
  | 'servingModelInfo'
  | 'listModels'
  | 'lastFullRunAt'
  | 'corpusRevision'
  | 'countSentences'
>;

/** The subset of a pino logger the service writes to. */
export interface TrainingLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Options of `createTrainingService`. */
export interface TrainingServiceOptions {
  store: TrainingStore;
  /** The database file, opened again by the worker thread (WAL lets both connections work). */
  dbPath: string;
  config: TrainingConfig;
  clock?: Clock;
  logger?: TrainingLogger;
  /** Executes runs; a worker thread per run by default. */
  runner?: JobRunner;
  /** Options of the default worker runner (ignored with `runner`). */
  worker?: Omit<WorkerRunnerOptions, 'dbPath'>;
  /** Hyperparameter overrides and model retention passed to every job. */
  job?: Omit<JobSettings, 'budgetMinutes' | 'fullBudgetMinutes'>;
  /**
   * How old the heartbeat of a run another process claimed may get before that run counts as
   * interrupted (the store's `DEFAULT_STALE_RUN_MS` by default).
   */
  staleRunMs?: number;
  /**
   * Whether this process trains: claims queued runs, runs the schedule and takes over the runs of
   * processes that died. Without it (a shard beside a trainer process) requests are only queued
   * and followed through their rows. Default true.
   */
  executesRuns?: boolean;
}

/** Options of `TrainingService.requestRetrain`. */
export interface RetrainRequest {
  /** Train from scratch rather than warm-start from the serving model. */
  full: boolean;
  requestedBy: string | null;
  /** Where the request came from; `command` by default. */
  trigger?: RunTrigger;
}

/** Events of a `TrainingService`. */
export interface TrainingServiceEvents {
  /** Progress of a running run. */
  progress: [progress: RunProgress];
  /** A run ended, however it ended. */
  runFinished: [guildId: string, result: RunResult];
  /**
   * A new model version was committed as the guild's serving model: load it and swap. Until
   * this event the previous model keeps serving.
   */
  modelPromoted: [guildId: string, version: number];
}

