/**
 * What the training service tells the rest of the bot about a run: its live progress, how it
 * ended, and a handle to follow it. Plain data (progress and results cross the worker thread).
 *
 * @module
 */

/** Per-epoch training figures of a run. */
export interface EpochSummary {
  epoch: number;
  trainLoss: number;
  validationLoss?: number;
  validationAccuracy?: number;
}

/**
 * Live progress of a training run. While it is `cross-validating`, `epoch` / `maxEpochs` count the
 * trainings on folds and `batch` / `batchesPerEpoch` the epochs of the current one; while it is
 * `refitting`, the validated settings train again on every sentence (`refit.ts`).
 */
export interface RunProgress {
  runId: number;
  guildId: string;
  phase: 'queued' | 'preparing' | 'cross-validating' | 'training' | 'refitting' | 'saving';
  epoch: number;
  maxEpochs: number;
  batch: number;
  batchesPerEpoch: number;
  loss: number | null;
  tokensPerSecond: number | null;
  etaSeconds: number | null;
}

/** Whether a run in `phase` trains epochs: its progress then counts them and has a loss. */
export function trainsEpochs(phase: RunProgress['phase']): boolean {
  return phase === 'training' || phase === 'refitting' || phase === 'cross-validating';
}

/** How a training run ended. */
export type RunResult =
  | {
      status: 'succeeded';
      runId: number;
      modelVersion: number;
      promoted: boolean;
      /** Why a finished model was kept but not promoted (e.g. clearly worse validation loss). */
      note?: string;
      sentences: number;
      vocabularySize: number;
      finalLoss: number;
      validationLoss?: number;
      validationAccuracy?: number;
      seconds: number;
      history: EpochSummary[];
    }
  | { status: 'failed'; runId: number; error: string }
  | { status: 'cancelled'; runId: number };

/** A handle on a queued or running training run. */
export interface RunHandle {
  runId: number;
  /** True when this request joined a run that was already queued or running. */
  alreadyActive: boolean;
  /** Latest progress, if any. */
  progress(): RunProgress | null;
  /** Subscribes to progress; returns the unsubscribe function. */
  onProgress(listener: (progress: RunProgress) => void): () => void;
  /** Resolves when the run ends, whoever started it. */
  done: Promise<RunResult>;
}

/** How a model was trained. */
export type TrainingMode = 'full' | 'incremental';
