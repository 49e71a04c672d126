/**
 * The `metrics` JSON stored with every model version, its checked reader, and which weights a
 * model holds.
 *
 * Fields were added over time; rows written before a field existed are read as follows:
 * `stoppedAtDeadline` false (no deadline ended a run before budgets existed), `servedModel` null
 * (the LSTM always served before the n-gram comparison), and an epoch's `learningRate`, the
 * comparison's `seconds` and `weightAverage` stay absent.
 *
 * @module
 */
import { JsonFields } from '../json-fields.ts';
import type { ServedModelChoice } from '../lm/served-model.ts';
import type { EpochMetrics, TrainerResult } from '../lm/train.ts';
import type { EpochSummary, TrainingMode } from './types.ts';

/** An epoch as a model records it; models trained before the learning rate was recorded lack it. */
export type RecordedEpoch = Omit<EpochMetrics, 'learningRate'> & Partial<Pick<EpochMetrics, 'learningRate'>>;

/** The `metrics` JSON stored with every model version. */
export interface ModelMetrics {
  /** Per-epoch figures of the run (the kept weights are those of {@link bestEpoch}, unless averaged). */
  history: RecordedEpoch[];
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
    /** Time spent scoring both models (absent in models from before it was timed). */
    seconds?: number;
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
 * A stored model's metrics, read back.
 *
 * @throws StoredJsonError when a field the first stored models already had is missing, or any
 * field has the wrong type
 */
export function readModelMetrics(json: unknown): ModelMetrics {
  const fields = JsonFields.of(json, 'metrics');
  const comparison = fields.nullableObject('comparison');
  const servedModel = fields.has('servedModel') ? fields.nullableObject('servedModel') : null;
  return {
    history: fields.objects('history').map(readEpoch),
    bestEpoch: fields.number('bestEpoch'),
    ...(fields.has('weightAverage') ? { weightAverage: readWeightAverage(fields.object('weightAverage')) } : {}),
    stoppedEarly: fields.boolean('stoppedEarly'),
    stoppedAtDeadline: fields.has('stoppedAtDeadline') ? fields.boolean('stoppedAtDeadline') : false,
    mode: fields.oneOf('mode', ['full', 'incremental']),
    modeReason: fields.string('modeReason'),
    trainSentences: fields.number('trainSentences'),
    trainTargets: fields.number('trainTargets'),
    validationSentences: fields.number('validationSentences'),
    validationTargets: fields.number('validationTargets'),
    comparison: comparison && {
      servingVersion: comparison.number('servingVersion'),
      newLoss: comparison.number('newLoss'),
      servingLoss: comparison.number('servingLoss'),
      targets: comparison.number('targets'),
      ...comparison.optionalNumbers('seconds'),
    },
    servedModel: servedModel && {
      served: servedModel.oneOf('served', ['lstm', 'kneser-ney']),
      lstmPerplexity: servedModel.number('lstmPerplexity'),
      kneserNeyPerplexity: servedModel.number('kneserNeyPerplexity'),
      targets: servedModel.number('targets'),
    },
    backend: fields.string('backend'),
    seconds: fields.number('seconds'),
  };
}

function readEpoch(epoch: JsonFields): RecordedEpoch {
  return {
    epoch: epoch.number('epoch'),
    trainLoss: epoch.number('trainLoss'),
    ...epoch.optionalNumbers('validationLoss', 'validationAccuracy', 'learningRate'),
    tokensPerSecond: epoch.number('tokensPerSecond'),
    seconds: epoch.number('seconds'),
  };
}

function readWeightAverage(average: JsonFields): NonNullable<TrainerResult['weightAverage']> {
  return {
    snapshots: average.number('snapshots'),
    ...average.optionalNumbers('validationLoss', 'validationAccuracy'),
    kept: average.boolean('kept'),
  };
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

/**
 * The weights a model's metrics record as kept: the weight average when it was kept, else the
 * epoch named `bestEpoch`, else the last one; null without a recorded epoch.
 */
export function keptWeightsOf(
  metrics: Pick<ModelMetrics, 'bestEpoch' | 'weightAverage'> & { history: readonly Pick<EpochMetrics, 'epoch' | 'validationLoss' | 'validationAccuracy'>[] },
): KeptWeights | null {
  const { history, bestEpoch, weightAverage } = metrics;
  const epoch = history.find((entry) => entry.epoch === bestEpoch) ?? history.at(-1);
  return epoch === undefined ? null : keptWeights(epoch, weightAverage);
}

/** What a run reports of an epoch: its losses and accuracy. */
export function toEpochSummary(epoch: Pick<EpochMetrics, 'epoch' | 'trainLoss' | 'validationLoss' | 'validationAccuracy'>): EpochSummary {
  return {
    epoch: epoch.epoch,
    trainLoss: epoch.trainLoss,
    ...(epoch.validationLoss === undefined ? {} : { validationLoss: epoch.validationLoss }),
    ...(epoch.validationAccuracy === undefined ? {} : { validationAccuracy: epoch.validationAccuracy }),
  };
}
