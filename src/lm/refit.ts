/**
 * The last step of a validated run: the winning settings train once more, from scratch, on every
 * sentence, the held-out ones included, for the epochs validation kept and at their learning
 * rates. Validation has chosen the settings, the epochs and the mixture with the 3-gram; the
 * network that serves then knows a ninth more sentences, and the words only they hold. A corpus
 * that validation stops early has most of its budget left for this; one whose budget ends its
 * epochs (and averages its weights) has not, and serves its validated network.
 *
 * @module
 */
import type { Hyperparameters } from './hyperparameters.ts';
import { trainLanguageModel } from './train.ts';
import type { EpochMetrics, TrainerResult, TrainingData, TrainingOptions } from './training-types.ts';
import { singletonIds } from './unknown-words.ts';

/** What a refit trains: the winner's settings for the kept epochs, and how long that should take. */
export interface RefitPlan {
  hyperparameters: Hyperparameters;
  /** The rate of each epoch in turn (`TrainingOptions.learningRates`). */
  learningRates: number[];
  /** The kept epochs' seconds, scaled to every sentence's targets. */
  estimatedSeconds: number;
}

/**
 * The epochs whose weights a validated run kept, in order: each that lowered the best validation
 * loss. Training went back to the best weights after each of the others, so the kept network is
 * what these epochs made.
 */
export function keptEpochs<Epoch extends Pick<EpochMetrics, 'validationLoss'>>(history: readonly Epoch[]): Epoch[] {
  let best = Number.POSITIVE_INFINITY;
  return history.filter((epoch) => {
    if (epoch.validationLoss === undefined || !(epoch.validationLoss < best)) return false;
    best = epoch.validationLoss;
    return true;
  });
}

/**
 * The refit of a run that trained `hyperparameters` on a validation split, or undefined when there
 * is none to do: the run kept a weight average (its steps are no epochs to replay), recorded no
 * validation, or `deadline` (milliseconds since the epoch) would end the refit before its last
 * epoch. `targetsRatio` is every sentence's targets over the training sentences'.
 */
export function planRefit(
  validated: Pick<TrainerResult, 'history' | 'weightAverage'>,
  hyperparameters: Hyperparameters,
  targetsRatio: number,
  deadline?: number,
): RefitPlan | undefined {
  if (validated.weightAverage?.kept === true) return undefined;
  const epochs = keptEpochs(validated.history);
  if (epochs.length === 0) return undefined;
  const estimatedSeconds = targetsRatio * epochs.reduce((sum, epoch) => sum + epoch.seconds, 0);
  if (deadline !== undefined && Date.now() + 1000 * estimatedSeconds > deadline) return undefined;
  return {
    hyperparameters: { ...hyperparameters, maxEpochs: epochs.length, weightAveragingStart: undefined },
    learningRates: epochs.map((epoch) => epoch.learningRate),
    estimatedSeconds,
  };
}

/**
 * Trains `plan` on `data.train`, every sentence of the corpus, without validation. The caller
 * owns the model; a deadline in `options` may end it before `plan`'s epochs (compare
 * `history.length` with them).
 */
export async function refit(
  data: Pick<TrainingData, 'train' | 'wordPieces'>,
  vocabSize: number,
  plan: RefitPlan,
  options: TrainingOptions = {},
): Promise<TrainerResult> {
  return trainLanguageModel({ ...data, validation: [], unknownStandIns: singletonIds(data.train) }, vocabSize, plan.hyperparameters, {
    ...options,
    learningRates: plan.learningRates,
  });
}
