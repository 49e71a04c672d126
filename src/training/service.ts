/**
 * The background training service: decides when each guild's model is retrained, keeps the queue
 * in SQLite (so it survives a restart), runs at most `concurrency` jobs at once through a
 * {@link JobRunner} (a worker thread by default) and announces promoted models.
 *
 * Fairness: the store hands out first models before warm starts and warm starts before full
 * retrains; a guild gets at most one full retrain per `fullRetrainMinIntervalHours`, and a failing
 * guild is retried with exponential backoff up to `maxAttempts` times in a row.
 *
 * Stopping: {@link TrainingService.stop} aborts running jobs; each interrupted run is marked failed
 * with error 'interrupted' and queued again (below `maxAttempts`), exactly what
 * `failInterruptedRuns` does after a crash, so a graceful stop and a crash leave the same trail and
 * the work resumes on the next start.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import { errorMessage } from '../errors.ts';
import type { RetrainCandidate, RunKind, TrainingRun } from '../store/types.ts';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { corpusChanges } from './data.ts';
import { DEFAULT_FULL_BUDGET_MINUTES, type JobSettings } from './job-settings.ts';
import { readModelMetrics, toEpochSummary } from './metrics.ts';
import { readRunProgress } from './progress.ts';
import { finishedRunResult } from './run-summary.ts';
import { INTERRUPTED, type JobRunner } from './runner.ts';
import { DEFAULT_FULL_RETRAIN_MIN_INTERVAL_HOURS, DEFAULT_MAX_ATTEMPTS, validateConfig, type RetryState, type TrainingConfig } from './schedule-settings.ts';
import type { RetrainRequest, TrainingLogger, TrainingServiceEvents, TrainingServiceOptions, TrainingStore } from './service-options.ts';
import { TrackedRun } from './tracked-run.ts';
import type { EpochSummary, RunHandle, RunProgress, RunResult } from './types.ts';
import { createWorkerRunner } from './worker-runner.ts';

const silentLogger: TrainingLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * How often the row of a run this process does not execute is read for its progress and outcome:
 * the process that executes it writes its progress at most every 2 s.
 */
export const FOLLOW_INTERVAL_MS = 2000;

/**
 * How often a service that executes runs looks for runs other processes queued (a shard's
 * `/retrain`, another trainer's interrupted run): one indexed statement.
 */
export const QUEUE_POLL_MS = 1000;

/**
 * How often it looks for runs whose process died: on this host a dead pid is seen at the next look;
 * elsewhere once the run's heartbeat is older than the lease (`staleRunMs`).
 */
export const RECOVERY_INTERVAL_MS = 15_000;

/**
 * Schedules and runs per-guild training. Create it with {@link createTrainingService}, attach
 * listeners, then {@link start} it.
 */
export class TrainingService extends EventEmitter<TrainingServiceEvents> {
  readonly #store: TrainingStore;
  readonly #config: TrainingConfig;
  readonly #clock: Clock;
  readonly #logger: TrainingLogger;
  readonly #runner: JobRunner;
  readonly #settings: JobSettings;
  readonly #staleRunMs: number | undefined;
  readonly #executesRuns: boolean;
  /** Runs this process knows about (queued or running), by run id. */
  readonly #tracked = new Map<number, TrackedRun>();
  readonly #running = new Set<TrackedRun>();
  #timer: TimerHandle | undefined;
  #queueWatch: TimerHandle | undefined;
  #recoveredAt = 0;
  #nextCheckAt: number | null = null;
  #started = false;
  #stopping = false;

  constructor(options: TrainingServiceOptions) {
    super();
    validateConfig(options.config);
    this.#store = options.store;
    this.#config = { ...options.config };
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#runner = options.runner ?? createWorkerRunner({ ...options.worker, dbPath: options.dbPath });
    const { budgetMinutes, fullBudgetMinutes } = options.config;
    this.#settings = { ...options.job, budgetMinutes, ...(fullBudgetMinutes === undefined ? {} : { fullBudgetMinutes }) };
    this.#staleRunMs = options.staleRunMs;
    this.#executesRuns = options.executesRuns ?? true;
  }

  /**
   * Recovers from a crash (runs left 'running' that no live process works on are failed and
   * queued again), starts the queued runs, looks for guilds to retrain at once and then every
   * `intervalMinutes`. From then on it claims the runs other processes queue within
   * {@link QUEUE_POLL_MS} and takes over those of a process that died within
   * {@link RECOVERY_INTERVAL_MS} (plus the lease, for another host). A service that does not execute
   * runs does none of this: another process (`npm run trainer`) does.
   */
  start(): void {
    if (this.#started) throw new Error('the training service was already started');
    this.#started = true;
    if (!this.#executesRuns) return;
    this.#checkAndReschedule();
    this.#watchQueue();
  }

  /**
   * Aborts the running jobs (each interrupted run is failed 'interrupted' and, below `maxAttempts`,
   * queued again for the next start), stops the schedule and resolves once every job has ended. Queued runs stay
   * queued in the store.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    if (this.#queueWatch !== undefined) this.#clock.clearTimeout(this.#queueWatch);
    this.#timer = undefined;
    this.#queueWatch = undefined;
    this.#nextCheckAt = null;
    for (const tracked of this.#tracked.values()) this.#unfollow(tracked);
    const running = [...this.#running];
    for (const tracked of running) tracked.controller?.abort();
    await Promise.all(running.map((tracked) => tracked.settled));
  }

  /**
   * When the scheduler looks for guilds to retrain next (ms since the epoch), null when stopped.
   * In a started service that leaves training to a trainer process: the latest that can be, one
   * schedule interval from now (a trainer with the same settings looks at least that often).
   */
  nextCheckAt(): number | null {
    if (this.#started && !this.#executesRuns && !this.#stopping) return this.#clock.now() + this.#config.intervalMinutes * 60_000;
    return this.#nextCheckAt;
  }

  /**
   * Queues a retrain of the guild now, or joins its run already queued or running. Without a
   * serving model, or with `full`, the run trains from scratch; otherwise it warm-starts. The run
   * starts when a slot is free in a started service that executes runs (in a trainer process
   * otherwise); before {@link start} it waits in the queue. The handle follows the run whichever
   * process trains it.
   */
  requestRetrain(guildId: string, request: RetrainRequest): RunHandle {
    const kind: RunKind = request.full || !this.#store.servingModelInfo(guildId) ? 'full' : 'incremental';
    const { run, created } = this.#store.enqueueRun(guildId, {
      kind,
      trigger: request.trigger ?? 'command',
      requestedBy: request.requestedBy,
    });
    if (created) this.#logger.info({ guildId, runId: run.id, kind }, 'training run requested');
    const tracked = this.#track(run);
    if (this.#started && this.#executesRuns) this.#guarded('starting queued runs', () => this.#pump());
    return tracked.handle(!created);
  }

  /** The guild's queued or running run, or null. */
  activeRun(guildId: string): RunHandle | null {
    const run = this.#store.activeRun(guildId);
    return run ? this.#track(run).handle(true) : null;
  }

  #checkAndReschedule(): void {
    if (this.#stopping) return;
    this.#recoverInterruptedRuns();
    this.#guarded('scheduled retrain check', () => this.#queueDueGuilds());
    this.#guarded('starting queued runs', () => this.#pump());
    const delay = this.#config.intervalMinutes * 60_000;
    this.#nextCheckAt = this.#clock.now() + delay;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#checkAndReschedule();
    }, delay);
  }

  #watchQueue(): void {
    this.#queueWatch = this.#clock.setTimeout(() => {
      this.#queueWatch = undefined;
      if (this.#stopping) return;
      if (this.#clock.now() - this.#recoveredAt >= RECOVERY_INTERVAL_MS) this.#recoverInterruptedRuns();
      this.#guarded('starting queued runs', () => this.#pump());
      this.#watchQueue();
    }, QUEUE_POLL_MS);
  }

  #recoverInterruptedRuns(): void {
    this.#recoveredAt = this.#clock.now();
    this.#guarded('recovering interrupted runs', () => this.#requeueInterruptedRuns());
  }

  /**
   * The guild's failed runs since its last success and when the schedule may try again, or null
   * when its last run did not fail.
   */
  retryState(guildId: string): RetryState | null {
    const { failures, lastFailedAt } = this.#store.failureStreak(guildId);
    if (failures === 0 || lastFailedAt === null) return null;
    const maxAttempts = this.#maxAttempts;
    const backoffMs = this.#config.intervalMinutes * 60_000 * 2 ** (failures - 1);
    return { failures, maxAttempts, nextAttemptAt: failures >= maxAttempts ? null : lastFailedAt + backoffMs };
  }

  get #maxAttempts(): number {
    return this.#config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  /**
   * From when the guild may have a full retrain again (ms since the epoch; at or before now when
   * it may now): `fullRetrainMinIntervalHours` after its latest one started.
   */
  fullRetrainAllowedAt(guildId: string): number {
    const last = this.#store.lastFullRunAt(guildId);
    const hours = this.#config.fullRetrainMinIntervalHours ?? DEFAULT_FULL_RETRAIN_MIN_INTERVAL_HOURS;
    return last === null ? 0 : last + hours * 3_600_000;
  }

  #requeueInterruptedRuns(): void {
    const interruptedRuns = this.#store.failInterruptedRuns({
      activeRunIds: [...this.#running].map((tracked) => tracked.run.id),
      maxAttempts: this.#maxAttempts,
      ...(this.#staleRunMs === undefined ? {} : { staleAfterMs: this.#staleRunMs }),
    });
    for (const { interrupted, requeued } of interruptedRuns) {
      const fields = { guildId: interrupted.guildId, runId: interrupted.id, requeuedRunId: requeued?.id ?? null };
      if (requeued) this.#logger.warn(fields, 'training run interrupted by a stop or crash; queued again');
      else this.#logger.error(fields, `training run interrupted by a stop or crash; not queued again after ${this.#maxAttempts} failed runs in a row`);
    }
  }

  #queueDueGuilds(): void {
    const now = this.#clock.now();
    for (const candidate of this.#store.guildsNeedingRetrain(this.#config.retrainMinChanges)) {
      const retry = this.retryState(candidate.guildId);
      if (retry !== null && (retry.nextAttemptAt === null || retry.nextAttemptAt > now)) continue;
      const kind = this.#scheduledKind(candidate, now);
      if (kind === null) continue;
      const { run, created } = this.#store.enqueueRun(candidate.guildId, {
        kind,
        trigger: 'schedule',
        requestedBy: null,
      });
      if (created) {
        this.#logger.info(
          { guildId: candidate.guildId, runId: run.id, kind, changes: candidate.changes },
          'scheduled retrain queued',
        );
      }
    }
  }

  /**
   * What the schedule trains for a guild, or null for nothing yet: a first model once it has
   * enough sentences; a full retrain when sentences were removed since its latest model trained
   * from scratch and its interval between full retrains has passed (removals wait for it); an
   * incremental one when enough has changed and something was added.
   */
  #scheduledKind(candidate: RetrainCandidate, now: number): RunKind | null {
    const { guildId } = candidate;
    const enoughChanges = candidate.changes >= this.#config.retrainMinChanges;
    const serving = this.#store.servingModelInfo(guildId);
    if (!serving) return enoughChanges ? 'full' : null;
    if (candidate.removalsPending && this.fullRetrainAllowedAt(guildId) <= now) return 'full';
    const corpus = { revision: this.#store.corpusRevision(guildId), sentences: this.#store.countSentences(guildId) };
    return enoughChanges && corpusChanges(serving, corpus).added > 0 ? 'incremental' : null;
  }

  /** Claims queued runs (cheapest kind first, see the store's `claimNextRun`) while a slot is free. */
  #pump(): void {
    while (!this.#stopping && this.#running.size < this.#config.concurrency) {
      // A full retrain lets shorter runs go first for about as long as it takes itself.
      const run = this.#store.claimNextRun({ fullRunPatienceMs: (this.#config.fullBudgetMinutes ?? DEFAULT_FULL_BUDGET_MINUTES) * 60_000 });
      if (!run) return;
      this.#launch(run);
    }
  }

  #track(run: TrainingRun): TrackedRun {
    let tracked = this.#tracked.get(run.id);
    if (tracked) {
      tracked.run = run;
    } else {
      tracked = new TrackedRun(run);
      this.#tracked.set(run.id, tracked);
    }
    this.#follow(tracked);
    return tracked;
  }

  /**
   * Reads the row of a tracked run that this process does not execute every
   * {@link FOLLOW_INTERVAL_MS}: another process may claim it (the command line's `train`, a second
   * bot on the same file), and its handles must still see the progress that process writes and the
   * outcome it records. A run this process launches is followed in memory instead.
   */
  #follow(tracked: TrackedRun): void {
    if (tracked.follower !== undefined || this.#running.has(tracked) || this.#stopping) return;
    tracked.follower = this.#clock.setTimeout(() => {
      tracked.follower = undefined;
      if (this.#tracked.get(tracked.run.id) !== tracked || this.#running.has(tracked)) return;
      try {
        this.#readRow(tracked);
      } catch (error) {
        this.#logger.warn({ runId: tracked.run.id, error: errorMessage(error) }, 'could not read the row of a followed run');
      }
      if (this.#tracked.get(tracked.run.id) === tracked) this.#follow(tracked);
    }, FOLLOW_INTERVAL_MS);
  }

  #unfollow(tracked: TrackedRun): void {
    if (tracked.follower !== undefined) this.#clock.clearTimeout(tracked.follower);
    tracked.follower = undefined;
  }

  /** Publishes the progress a run's row holds, or resolves its handles once the row says it ended. */
  #readRow(tracked: TrackedRun): void {
    const run = this.#store.getRun(tracked.run.id);
    if (run === undefined) throw new Error(`training run ${tracked.run.id} vanished`);
    tracked.run = run;
    if (run.status === 'queued') return;
    if (run.status === 'running') {
      if (run.progress !== null) this.#publish(tracked, readRunProgress(run.progress));
      return;
    }
    if (this.#followReplacement(tracked, run)) return;
    this.#tracked.delete(run.id);
    tracked.resolve(finishedRunResult(run, this.#historyOf(run)));
  }

  /**
   * A run whose process died is failed 'interrupted' and queued again as a new run (see the store's
   * `failInterruptedRuns`): those who follow it follow the new run instead, whichever process
   * trains it. Returns false when the run has no such successor.
   */
  #followReplacement(tracked: TrackedRun, ended: TrainingRun): boolean {
    if (ended.status !== 'failed' || ended.error !== INTERRUPTED) return false;
    const replacement = this.#store.activeRun(ended.guildId);
    if (replacement === undefined || replacement.id < ended.id) return false;
    this.#tracked.delete(ended.id);
    const joined = this.#tracked.get(replacement.id);
    if (joined === undefined) {
      tracked.run = replacement;
      tracked.progress = null;
      this.#tracked.set(replacement.id, tracked);
    } else {
      for (const listener of tracked.listeners) joined.listeners.add(listener);
      void joined.done.then((result) => tracked.resolve(result));
    }
    return true;
  }

  /** The epochs of the model a finished run saved; none when they cannot be read. */
  #historyOf(run: TrainingRun): EpochSummary[] {
    if (run.modelId === null) return [];
    const model = this.#store.listModels(run.guildId).find((record) => record.id === run.modelId);
    if (model === undefined) return [];
    try {
      return readModelMetrics(model.metrics).history.map(toEpochSummary);
    } catch (error) {
      this.#logger.warn({ runId: run.id, error: errorMessage(error) }, 'the metrics of a followed run’s model cannot be read');
      return [];
    }
  }

  /** Hands progress to the run's handles and to the service's listeners. */
  #publish(tracked: TrackedRun, progress: RunProgress): void {
    tracked.progress = progress;
    for (const listener of tracked.listeners) {
      this.#guarded('progress listener', () => listener(progress));
    }
    this.emit('progress', progress);
  }

  #launch(run: TrainingRun): void {
    const tracked = this.#track(run);
    this.#unfollow(tracked);
    const controller = new AbortController();
    tracked.controller = controller;
    this.#running.add(tracked);
    this.#logger.info({ guildId: run.guildId, runId: run.id, kind: run.kind }, 'training run started');
    const onProgress = (progress: RunProgress): void => this.#publish(tracked, progress);
    let outcome: Promise<RunResult>;
    try {
      outcome = this.#runner({ run, settings: this.#settings }, { signal: controller.signal, onProgress });
    } catch (error) {
      outcome = Promise.reject(error);
    }
    tracked.settled = outcome
      .catch((error: unknown): RunResult => ({ status: 'failed', runId: run.id, error: errorMessage(error) }))
      .then((result) => this.#finish(tracked, result, controller.signal.aborted));
  }

  #finish(tracked: TrackedRun, result: RunResult, aborted: boolean): void {
    const { run } = tracked;
    this.#running.delete(tracked);
    this.#tracked.delete(run.id);
    this.#guarded('recording the run outcome', () => {
      // A job records its own outcome; a crashed or terminated worker cannot. finishRun only
      // touches a run still active, so this never overwrites what the job recorded.
      if (result.status !== 'succeeded') {
        this.#store.finishRun(run.id, {
          status: result.status,
          error: result.status === 'failed' ? result.error : null,
        });
      }
      const retry = this.#store.failureStreak(run.guildId).failures < this.#maxAttempts;
      if (aborted && result.status === 'failed' && result.error === INTERRUPTED && retry) {
        const { run: requeued } = this.#store.enqueueRun(run.guildId, {
          kind: run.kind,
          trigger: run.trigger,
          requestedBy: run.requestedBy,
        });
        this.#logger.info({ guildId: run.guildId, runId: run.id, requeuedRunId: requeued.id }, 'training run interrupted; queued again');
      }
    });
    this.#log(run, result);
    tracked.resolve(result);
    this.#guarded('runFinished listener', () => this.emit('runFinished', run.guildId, result));
    if (result.status === 'succeeded' && result.promoted) {
      this.#guarded('modelPromoted listener', () => this.emit('modelPromoted', run.guildId, result.modelVersion));
    }
    if (!this.#stopping) this.#guarded('starting queued runs', () => this.#pump());
  }

  #log(run: TrainingRun, result: RunResult): void {
    const fields = { guildId: run.guildId, runId: run.id };
    if (result.status === 'succeeded') {
      this.#logger.info(
        {
          ...fields,
          version: result.modelVersion,
          promoted: result.promoted,
          note: result.note,
          seconds: result.seconds,
          validationLoss: result.validationLoss,
        },
        'training run succeeded',
      );
    } else if (result.status === 'failed') {
      this.#logger.warn({ ...fields, error: result.error }, 'training run failed');
    } else {
      this.#logger.info(fields, 'training run cancelled');
    }
  }

  /** Runs `action`, logging instead of throwing: a timer or listener must not crash the bot. */
  #guarded(what: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      this.#logger.error({ error: errorMessage(error) }, `training service: ${what} failed`);
    }
  }
}

/** Creates a (not yet started) training service. */
export function createTrainingService(options: TrainingServiceOptions): TrainingService {
  return new TrainingService(options);
}
