/**
 * The `metrics` JSON stored with every model version, its checked reader, and which weights a
 * model holds.
 *
 * Fields were added over time; rows written before a field existed are read as follows:
 * `stoppedAtDeadline` false (no deadline ended a run before budgets existed), `servedModel` null
 * (the LSTM always served before the n-gram comparison) and a weight of 1 or 0 without the
 * mixture's fields (the LSTM or the n-gram served whole before the mixture), and an epoch's `learningRate`, the
 * comparison's `seconds` and `weightAverage` stay absent; without `combination` the mixture is
 * linear and no geometric one was fitted; without `calibration` the network is not calibrated;
 * without `frequencyWeights` one λ weighs every word.
 *
 * @module
 */
import { JsonFields, StoredJsonError } from '../json-fields.ts';
import type { FrequencyWeights } from '../lm/frequency-weights.ts';
import { readHyperparameters, type Hyperparameters } from '../lm/hyperparameters.ts';
import type { SearchTrial } from '../lm/search.ts';
import type { ServedModelChoice } from '../lm/served-model.ts';
import type { EpochMetrics, TrainerResult } from '../lm/training-types.ts';
import type { EpochSummary, TrainingMode } from './types.ts';

/** An epoch as a model records it; models trained before the learning rate was recorded lack it. */
export type RecordedEpoch = Omit<EpochMetrics, 'learningRate'> & Partial<Pick<EpochMetrics, 'learningRate'>>;

/** The `metrics` JSON stored with every model version. */
export interface ModelMetrics {
  /** Per-epoch figures of the run (the kept weights are those of {@link bestEpoch}, unless averaged). */
  history: RecordedEpoch[];
  /**
   * The corpus-scaled defaults the model's hyperparameters were chosen from: by this run's search,
   * or by the search of the full run an incremental one continues (absent before searches).
   */
  searchedFrom?: Hyperparameters;
  /**
   * The candidates this run compared on its validation sentences, or cross-validated on `folds`
   * folds, and how each fared; null when it trained one.
   */
  search?: { rungs: number[]; trials: SearchTrial[]; folds?: number } | null;
  bestEpoch: number;
  /** The weight average of a large corpus's run, and whether the model holds it instead of {@link bestEpoch}'s weights. */
  weightAverage?: TrainerResult['weightAverage'];
  /**
   * When the network that serves was trained again from scratch on every sentence, held-out ones
   * included, for the epochs validation kept (`refit.ts`); the validation figures are those of
   * the network before, which is what chose them.
   */
  refit?: { epochs: number; sentences: number; seconds: number };
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
    ...(fields.has('searchedFrom') ? { searchedFrom: readHyperparameters(fields.raw('searchedFrom').value, 'metrics.searchedFrom') } : {}),
    ...(fields.has('search') ? { search: readSearch(fields.nullableObject('search')) } : {}),
    bestEpoch: fields.number('bestEpoch'),
    ...(fields.has('weightAverage') ? { weightAverage: readWeightAverage(fields.object('weightAverage')) } : {}),
    ...(fields.has('refit') ? { refit: readRefit(fields.object('refit')) } : {}),
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
    servedModel: servedModel && readServedModel(servedModel),
    backend: fields.string('backend'),
    seconds: fields.number('seconds'),
  };
}

/**
 * Models from before the mixture chose the LSTM or the 3-gram whole: their weight is 1 or 0, and
 * the mixture's perplexity that of the part chosen.
 */
function readServedModel(choice: JsonFields): ServedModelChoice {
  const served = choice.oneOf('served', ['lstm', 'kneser-ney', 'mix']);
  const lstmPerplexity = choice.number('lstmPerplexity');
  const kneserNeyPerplexity = choice.number('kneserNeyPerplexity');
  const pure = served === 'lstm' ? 1 : 0;
  const geometric = choice.has('geometric') ? choice.nullableObject('geometric') : null;
  const calibration = choice.has('calibration') ? choice.nullableObject('calibration') : null;
  const frequencyWeights = choice.has('frequencyWeights') ? choice.nullableObject('frequencyWeights') : null;
  return {
    served,
    lstmWeight: choice.has('lstmWeight') ? choice.number('lstmWeight') : pure,
    lstmPerplexity,
    kneserNeyPerplexity,
    mixPerplexity: choice.has('mixPerplexity') ? choice.number('mixPerplexity') : pure === 1 ? lstmPerplexity : kneserNeyPerplexity,
    targets: choice.number('targets'),
    ...choice.optionalNumbers('folds'),
    geometric: geometric && {
      lstmExponent: geometric.number('lstmExponent'),
      kneserNeyExponent: geometric.number('kneserNeyExponent'),
      perplexity: geometric.number('perplexity'),
      linearPerplexity: geometric.number('linearPerplexity'),
      targets: geometric.number('targets'),
    },
    combination: choice.has('combination') ? choice.oneOf('combination', ['linear', 'geometric']) : 'linear',
    calibration: calibration && { exponent: calibration.number('exponent'), unknownScale: calibration.number('unknownScale') },
    frequencyWeights: frequencyWeights && readFrequencyWeights(frequencyWeights),
  };
}

/** λ by word frequency: a weight in [0, 1] per class, one class more than its ascending bounds. */
function readFrequencyWeights(weights: JsonFields): FrequencyWeights {
  const countBounds = weights.numbers('countBounds');
  const lstmWeights = weights.numbers('lstmWeights');
  const sentences = weights.number('sentences');
  const ascending = countBounds.every((bound, i) => bound > (countBounds[i - 1] ?? 0));
  if (!ascending || lstmWeights.length !== countBounds.length + 1 || !lstmWeights.every((weight) => weight >= 0 && weight <= 1) || !(sentences > 0)) {
    throw new StoredJsonError(`${weights.path} must hold ascending count bounds, a weight in [0, 1] for each class and the sentences counted`);
  }
  return { countBounds, lstmWeights, sentences };
}

function readSearch(search: JsonFields | null): ModelMetrics['search'] {
  if (search === null) return null;
  return {
    rungs: search.numbers('rungs'),
    ...search.optionalNumbers('folds'),
    trials: search.objects('trials').map((trial) => {
      const named = trial.has('outcome') ? trial.raw('outcome').value : undefined;
      const outcome = named === 'won' || named === 'lost' ? named : { droppedAfterRung: trial.object('outcome').number('droppedAfterRung') };
      const changes = trial.raw('changes');
      return {
        name: trial.string('name'),
        // What a candidate changed is shown, never trained on: its values are kept as they read.
        changes: readHyperparameterChanges(changes.value, changes.path),
        epochs: trial.number('epochs'),
        ...trial.optionalNumbers('validationLoss'),
        outcome,
      };
    }),
  };
}

function readHyperparameterChanges(value: unknown, path: string): Partial<Hyperparameters> {
  const fields = JsonFields.of(value, path);
  const changes: Record<string, number | boolean> = {};
  for (const key of Object.keys(value as object)) {
    const raw = fields.raw(key).value;
    if (typeof raw === 'number' || typeof raw === 'boolean') changes[key] = raw;
  }
  return changes as Partial<Hyperparameters>;
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

function readRefit(refit: JsonFields): NonNullable<ModelMetrics['refit']> {
  return { epochs: refit.number('epochs'), sentences: refit.number('sentences'), seconds: refit.number('seconds') };
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
 * weight snapshots taken over the last epochs when that validated better; `refitOn` sentences when
 * those epochs were then trained again on every sentence (the figures are the validated network's).
 */
export type KeptWeights = { validationLoss?: number; validationAccuracy?: number; refitOn?: number } & (
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
  metrics: Pick<ModelMetrics, 'bestEpoch' | 'weightAverage' | 'refit'> & {
    history: readonly Pick<EpochMetrics, 'epoch' | 'validationLoss' | 'validationAccuracy'>[];
  },
): KeptWeights | null {
  const { history, bestEpoch, weightAverage, refit } = metrics;
  const epoch = history.find((entry) => entry.epoch === bestEpoch) ?? history.at(-1);
  if (epoch === undefined) return null;
  return { ...keptWeights(epoch, weightAverage), ...(refit === undefined ? {} : { refitOn: refit.sentences }) };
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
