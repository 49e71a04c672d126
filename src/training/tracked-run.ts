/**
 * What the training service knows in this process about one queued or running run: its latest
 * progress, its listeners and the promise of its result, from which it hands out {@link RunHandle}s.
 *
 * @module
 */
import type { TrainingRun } from '../store/types.ts';
import type { TimerHandle } from './clock.ts';
import type { RunHandle, RunProgress, RunResult } from './types.ts';

/** A run this process follows, until it ends. */
export class TrackedRun {
  progress: RunProgress | null = null;
  readonly listeners = new Set<(progress: RunProgress) => void>();
  readonly done: Promise<RunResult>;
  resolve!: (result: RunResult) => void;
  controller: AbortController | undefined;
  /** The timer of the next read of the run's row, while another process may execute it. */
  follower: TimerHandle | undefined;
  /** Resolves once the run's outcome has been recorded and announced. */
  settled: Promise<void> | undefined;

  constructor(public run: TrainingRun) {
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  queuedProgress(): RunProgress {
    return {
      runId: this.run.id,
      guildId: this.run.guildId,
      phase: 'queued',
      epoch: 0,
      maxEpochs: 0,
      batch: 0,
      batchesPerEpoch: 0,
      loss: null,
      tokensPerSecond: null,
      etaSeconds: null,
    };
  }

  handle(alreadyActive: boolean): RunHandle {
    const tracked = this;
    return {
      // The run a handle follows changes when its process dies and it is queued again.
      get runId() {
        return tracked.run.id;
      },
      alreadyActive,
      progress: () => this.progress ?? (this.run.status === 'queued' ? this.queuedProgress() : null),
      onProgress: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      done: this.done,
    };
  }
}
