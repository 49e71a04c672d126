/**
 * What the trainer takes and gives: data, options, progress, per-epoch metrics, the result, and
 * its errors.
 *
 * @module
 */
import type { LstmLanguageModel } from './model.ts';
import type { WordPieces } from './word-pieces.ts';

/** Sentences as word-id arrays, without BOS/EOS (the trainer adds them). */
export interface TrainingData {
  train: number[][];
  /** Held-out sentences; empty = no validation and no early stopping. */
  validation: number[][];
  /**
   * Ids of words seen once in the corpus (see `singletonIds`): with `unknownWordRate`, each epoch
   * trains that share of their occurrences as the unknown word, so the model learns how likely a
   * word it never saw is, and what to make of one in its input.
   */
  unknownStandIns?: readonly number[];
  /** The pieces of the vocabulary's words, trained beside them with `wordPieces` (see `word-pieces.ts`). */
  wordPieces?: WordPieces;
}

/** Reported after every batch. */
export interface TrainerProgress {
  /** 1-based. */
  epoch: number;
  /** Epochs planned (early stopping may end sooner). */
  epochs: number;
  /** 1-based batch within the epoch. */
  batch: number;
  batchesPerEpoch: number;
  /** Mean training loss of the epoch so far (nats per target). */
  loss: number;
  /** Targets trained per second in this epoch so far. */
  tokensPerSecond: number;
  /** Estimated seconds until the planned epochs are done. */
  etaSeconds: number;
}

/** Summary of one epoch. */
export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  /** Mean cross-entropy over the epoch's training targets (nats). */
  trainLoss: number;
  /** Mean cross-entropy over all validation targets (perplexity = e^loss). */
  validationLoss?: number;
  /** Share of validation targets whose most probable id is the target. */
  validationAccuracy?: number;
  /** Training targets per second (validation time excluded). */
  tokensPerSecond: number;
  /** The learning rate of the epoch's last step (after plateau halvings). */
  learningRate: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
}

/** Options of {@link trainLanguageModel}. */
export interface TrainingOptions {
  onProgress?(progress: TrainerProgress): void;
  /** Aborting stops training between batches with a {@link TrainingAbortedError}. */
  signal?: AbortSignal;
  /**
   * Warm start: training continues from a copy of these weights (the model itself is not
   * changed). Its vocabulary must match `vocabSize` (see `growVocabulary`); its embedding and
   * hidden sizes override the hyperparameters'.
   */
  initialModel?: LstmLanguageModel;
  /**
   * Threads computing each batch (default 1: this thread only). With n > 1, n - 1 worker threads
   * each take a share of every batch (data parallelism): worth it on a machine with free cores and
   * a corpus of thousands of sentences, as each worker takes a second or two to start. Without
   * dropout the result equals single-thread training up to float rounding; with dropout each
   * worker draws its own masks, so the run depends on the thread count (still seeded).
   */
  threads?: number;
  /**
   * Wall-clock deadline (milliseconds since the epoch, as `Date.now()`): no epoch is started once
   * it has passed, nor when the previous epoch's duration says it would end after it. The epoch
   * in progress is always finished, so the first epoch always runs; the weights kept are the
   * best so far, as when training ends any other way.
   */
  deadline?: number;
  /**
   * The learning rate of each epoch in turn, the last one for any epoch beyond: a run without
   * validation replays the rates of the epochs a validated run kept (`refit.ts`), where plateaus
   * had halved it. Without it every epoch starts at the rate it ended the previous one at.
   */
  learningRates?: readonly number[];
}

/** What {@link trainLanguageModel} returns; the caller owns (and disposes) the model. */
export interface TrainerResult {
  /** With validation: the weights of the epoch with the best validation loss. */
  model: LstmLanguageModel;
  history: EpochMetrics[];
  /** Whether validation loss stopped improving before `maxEpochs`. */
  stoppedEarly: boolean;
  /** With `weightAveragingStart`: the average of the weight snapshots, and whether it was kept. */
  weightAverage?: {
    snapshots: number;
    /** Its validation loss and top-1 accuracy (when there is validation). */
    validationLoss?: number;
    validationAccuracy?: number;
    /** Whether the model holds the average: it validated better than the best epoch (or there is no validation). */
    kept: boolean;
  };
}

/** Training was aborted through its signal; nothing is left allocated. */
export class TrainingAbortedError extends Error {
  override name = 'AbortError';
  constructor() {
    super('Training was aborted');
  }
}

/** The loss became NaN or infinite (learning rate too high, or corrupt data). */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}
