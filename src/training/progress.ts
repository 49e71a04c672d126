/**
 * A running job's reports: its progress, streamed to the listener and written (throttled) into the
 * run's row where `/stats` and other processes see it, and a heartbeat that tells other processes
 * the run is still being worked on.
 *
 * @module
 */
import { JsonFields } from '../json-fields.ts';
import type { TrainerProgress } from '../lm/training-types.ts';
import type { Store } from '../store/store.ts';
import type { TrainingRun } from '../store/types.ts';
import type { RunProgress } from './types.ts';

/** Progress is written to the store at most this often (the live stream is not throttled). */
const PROGRESS_WRITE_INTERVAL_MS = 2000;
/**
 * The run's heartbeat is written this often besides progress, which stops while the run prepares,
 * compares or saves: another process must not take the run for interrupted.
 */
const HEARTBEAT_INTERVAL_MS = 15_000;

/** The store operations progress reports use. */
export type ProgressStore = Pick<Store, 'updateRunProgress' | 'heartbeatRun'>;

/** Reports one run's progress and beats its heartbeat until {@link stop}. */
export class ProgressReporter {
  readonly #heartbeat: NodeJS.Timeout;
  #lastWrite = 0;

  constructor(
    private readonly store: ProgressStore,
    private readonly run: TrainingRun,
    private readonly listener: ((progress: RunProgress) => void) | undefined,
  ) {
    this.#heartbeat = setInterval(() => {
      try {
        store.heartbeatRun(run.id);
      } catch {
        // Advisory, like progress: the next beat or progress write catches up.
      }
    }, HEARTBEAT_INTERVAL_MS);
  }

  /**
   * Reports the run's phase, with the trainer's figures while it trains. A phase change is written
   * at once (`force`); the trainer's per-batch figures at most every few seconds.
   */
  report(phase: RunProgress['phase'], trainer: TrainerProgress | null, force = false): void {
    const progress: RunProgress = {
      runId: this.run.id,
      guildId: this.run.guildId,
      phase,
      epoch: trainer?.epoch ?? 0,
      maxEpochs: trainer?.epochs ?? 0,
      batch: trainer?.batch ?? 0,
      batchesPerEpoch: trainer?.batchesPerEpoch ?? 0,
      loss: trainer?.loss ?? null,
      tokensPerSecond: trainer?.tokensPerSecond ?? null,
      etaSeconds: trainer?.etaSeconds ?? null,
    };
    this.listener?.(progress);
    const now = Date.now();
    if (force || now - this.#lastWrite >= PROGRESS_WRITE_INTERVAL_MS) {
      this.#lastWrite = now;
      try {
        this.store.updateRunProgress(this.run.id, progress);
      } catch {
        // Advisory only: a database busy for longer than its timeout must not fail the run;
        // the next write brings the row up to date.
      }
    }
  }

  /** Stops the heartbeat: the run has ended. */
  stop(): void {
    clearInterval(this.#heartbeat);
  }
}

/**
 * A run's progress as {@link ProgressReporter} wrote it into the run's row, read back (by another
 * process following the run).
 *
 * @throws StoredJsonError when a field is missing or of the wrong type
 */
export function readRunProgress(json: unknown): RunProgress {
  const fields = JsonFields.of(json, 'progress');
  return {
    runId: fields.number('runId'),
    guildId: fields.string('guildId'),
    phase: fields.oneOf('phase', ['queued', 'preparing', 'cross-validating', 'training', 'refitting', 'saving']),
    epoch: fields.number('epoch'),
    maxEpochs: fields.number('maxEpochs'),
    batch: fields.number('batch'),
    batchesPerEpoch: fields.number('batchesPerEpoch'),
    loss: fields.nullableNumber('loss'),
    tokensPerSecond: fields.nullableNumber('tokensPerSecond'),
    etaSeconds: fields.nullableNumber('etaSeconds'),
  };
}
