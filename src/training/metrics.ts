/**
 * The `metrics` JSON stored with every model version, and what is read back from it: which
 * weights the model holds and its per-epoch history.
 *
 * @module
 */
import type { ServedModelChoice } from '../lm/served-model.ts';
import type { EpochMetrics, TrainerResult } from '../lm/train.ts';
import type { TrainingMode } from './types.ts';

/** The `metrics` JSON stored with every model version. */
export interface ModelMetrics {
  /** Per-epoch figures of the run (the kept weights are those of {@link bestEpoch}, unless averaged). */
  history: EpochMetrics[];
  bestEpoch: number;
  /** The weight average of a large corpus's run, and whether the model holds it instead of {@link bestEpoch}'s weights. */
  weightAverage?: TrainerResult['weightAverage'];
  stoppedEarly: boolean;
  /** Whether the budget's deadline ended training before its planned epochs. */
  stoppedAtDeadline: boolean;
  mode: TrainingMode;
  /** Why this mode was used. */
  modeReason: string;
  trainSentences: number;
  /** Targets per training epoch (each word plus one end of sentence per sentence). */
  trainTargets: number;
  validationSentences: number;
  validationTargets: number;
  /** Comparison with the model serving when the run started, on the same held-out sentences. */
  comparison: {
    servingVersion: number;
    newLoss: number;
    servingLoss: number;
    targets: number;
    /** Time spent scoring both models. */
    seconds: number;
  } | null;
  /**
   * The LSTM against a Kneser-Ney 3-gram of the training sentences on the validation sentences,
   * and which of them serves predictions; null without validation sentences (the LSTM serves).
   */
  servedModel: ServedModelChoice | null;
  backend: string;
  /** Wall time of the whole run (preparation and saving included). */
  seconds: number;
}

/**
 * The weights a model holds, with their validation figures: the best epoch's, or the average of
 * weight snapshots taken over the last epochs when that validated better.
 */
export type KeptWeights = { validationLoss?: number; validationAccuracy?: number } & (
  | { source: 'epoch'; epoch: number }
  | { source: 'average'; snapshots: number }
);

/** The weight average when the run kept it, else the best epoch's weights. */
export function keptWeights(
  bestEpoch: Pick<EpochMetrics, 'epoch' | 'validationLoss' | 'validationAccuracy'>,
  weightAverage: TrainerResult['weightAverage'],
): KeptWeights {
  const figures = (validationLoss?: number, validationAccuracy?: number) => ({
    ...(validationLoss === undefined ? {} : { validationLoss }),
    ...(validationAccuracy === undefined ? {} : { validationAccuracy }),
  });
  if (weightAverage?.kept === true) {
    return { source: 'average', snapshots: weightAverage.snapshots, ...figures(weightAverage.validationLoss, weightAverage.validationAccuracy) };
  }
  return { source: 'epoch', epoch: bestEpoch.epoch, ...figures(bestEpoch.validationLoss, bestEpoch.validationAccuracy) };
}

/** The epoch whose weights the trainer kept: the best validation loss, else the last epoch. */
export function keptEpoch(history: readonly EpochMetrics[]): EpochMetrics {
  const last = history.at(-1);
  if (!last) throw new Error('training finished without a single epoch');
  return history.reduce((best, epoch) =>
    epoch.validationLoss !== undefined && epoch.validationLoss < (best.validationLoss ?? Infinity) ? epoch : best,
  last);
}

/** The per-epoch history recorded with a model, or none when its metrics hold no history. */
export function historyOf(metrics: unknown): EpochMetrics[] {
  const history = (metrics as { history?: unknown } | null)?.history;
  return Array.isArray(history) ? (history as EpochMetrics[]) : [];
}

/**
 * The weights recorded as kept in a model's metrics ({@link ModelMetrics}): the
 * weight average when it was kept, else the epoch named `bestEpoch`, else the last one.
 */
export function keptWeightsOf(metrics: unknown): KeptWeights | null {
  const history = historyOf(metrics);
  const { bestEpoch, weightAverage } = (metrics ?? {}) as { bestEpoch?: unknown; weightAverage?: TrainerResult['weightAverage'] };
  const epoch = history.find((entry) => entry.epoch === bestEpoch) ?? history.at(-1);
  return epoch === undefined ? null : keptWeights(epoch, weightAverage);
}
