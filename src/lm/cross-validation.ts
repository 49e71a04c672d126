/**
 * Choices for a corpus too small to spare a validation split: every sentence is needed for
 * training, so each candidate's settings train once per fold on the other folds, and are scored on
 * the held-out fold after every epoch (k-fold cross-validation). The candidate and epoch count with
 * the lowest held-out loss over all folds win and train on every sentence; the winner's folds then
 * fit the mixture with the 3-gram (`served-model.ts`), which such a corpus needs most: a network
 * trained on a hundred sentences has seen few of the words new text brings.
 *
 * @module
 */
import type { Hyperparameters } from './hyperparameters.ts';
import { lstmPredictor } from './predict.ts';
import { changedSettings, type SearchCandidate, type SearchResult, type SearchTrial } from './search.ts';
import { chooseServedModel, type HeldOutFold, type ServedModelChoice } from './served-model.ts';
import { trainLanguageModel, TrainingSession } from './train.ts';
import type { TrainerProgress, TrainingData, TrainingOptions } from './training-types.ts';
import { asUnseenText, singletonIds } from './unknown-words.ts';
import type { LstmLanguageModel } from './model.ts';

/** One fold: the sentences its network trains on, and the others as new text would read to it. */
export interface Fold {
  train: number[][];
  heldOut: number[][];
}

/** A fold and what its network trains on. */
interface FoldTraining extends Fold {
  data: TrainingData;
}

/**
 * Splits `sentences` into `folds` folds: sentence i is held out in fold i mod `folds`, so that each
 * fold samples the whole corpus, old and new sentences alike.
 */
export function crossValidationFolds(sentences: readonly number[][], folds: number): Fold[] {
  if (!Number.isInteger(folds) || folds < 2 || folds > sentences.length) {
    throw new RangeError(`cross-validation needs 2 to ${sentences.length} folds, got ${folds}`);
  }
  return Array.from({ length: folds }, (_, fold) => {
    const train = sentences.filter((_, index) => index % folds !== fold);
    const heldOut = sentences.filter((_, index) => index % folds === fold);
    return { train, heldOut: asUnseenText(heldOut, train) };
  });
}

/** A candidate's held-out loss over all folds after each epoch, and the epoch where it is lowest. */
interface HeldOutCurve {
  losses: number[];
  bestEpoch: number;
}

/** How far a cross-validation has come, reported after every batch of the folds' trainings. */
export interface CrossValidationProgress {
  /** 1-based: which of the {@link trainings} on folds is running. */
  training: number;
  /** Trainings on folds in all: each candidate's on every fold, then the winner's again. */
  trainings: number;
  /** The running training's progress. */
  trainer: TrainerProgress;
  /** Seconds until the trainings on folds end, at the pace so far (null before there is one). */
  etaSeconds: number | null;
}

/** Options of {@link trainCrossValidated}: those of training, and the folds' progress apart. */
export interface CrossValidationOptions extends TrainingOptions {
  onCrossValidationProgress?(progress: CrossValidationProgress): void;
}

/** What {@link trainCrossValidated} returns: the winner trained on every sentence, and the mixture its folds fitted. */
export interface CrossValidatedResult extends SearchResult {
  servedModel: ServedModelChoice;
}

/**
 * Cross-validates `candidates` (the defaults first: ties keep the earlier one) on `folds` folds of
 * `data.train` (every sentence: none is held out for validation), trains the winner on all of them
 * for the epochs that predicted its held-out folds best, and fits the served mixture on the winner's folds. `options.onCrossValidationProgress`
 * follows the trainings on folds, `options.onProgress` the winner's on every sentence.
 */
export async function trainCrossValidated(
  data: Pick<TrainingData, 'train' | 'wordPieces'>,
  vocabSize: number,
  candidates: readonly SearchCandidate[],
  folds: number,
  options: CrossValidationOptions = {},
): Promise<CrossValidatedResult> {
  const defaults = candidates[0];
  if (defaults === undefined) throw new RangeError('a cross-validation needs at least one candidate');
  const { onCrossValidationProgress, onProgress, ...rest } = options;
  const splits = crossValidationFolds(data.train, folds).map(
    (split): FoldTraining => ({ ...split, data: { ...data, train: split.train, validation: [], unknownStandIns: singletonIds(split.train) } }),
  );
  const trainings = (candidates.length + 1) * folds;
  let training = 0;
  const started = performance.now();
  /** Options of the next training on a fold. */
  const nextFoldTraining = (): TrainingOptions => {
    const current = ++training;
    return {
      ...rest,
      onProgress: (trainer) => {
        if (onCrossValidationProgress === undefined) return;
        const epochs = (trainer.epoch - 1 + trainer.batch / trainer.batchesPerEpoch) / trainer.epochs;
        const done = (current - 1 + epochs) / trainings;
        const elapsed = (performance.now() - started) / 1000;
        onCrossValidationProgress({ training: current, trainings, trainer, etaSeconds: done > 0 ? (elapsed * (1 - done)) / done : null });
      },
    };
  };
  const curves: HeldOutCurve[] = [];
  for (const candidate of candidates) curves.push(await heldOutCurve(splits, vocabSize, candidate.hyperparameters, nextFoldTraining));
  const lowest = (curve: HeldOutCurve): number => curve.losses[curve.bestEpoch - 1]!;
  const winnerIndex = curves.reduce((best, curve, index) => (lowest(curve) < lowest(curves[best]!) ? index : best), 0);
  const chosen = candidates[winnerIndex]!;
  const winner: SearchCandidate = { name: chosen.name, hyperparameters: { ...chosen.hyperparameters, maxEpochs: curves[winnerIndex]!.bestEpoch } };

  const servedModel = await withFoldModels(splits, vocabSize, winner.hyperparameters, nextFoldTraining, (models) =>
    chooseServedModel(
      splits.map((split, index): HeldOutFold => ({ lstm: lstmPredictor(models[index]!), train: split.train, heldOut: split.heldOut })),
      vocabSize,
    ),
  );
  const trained = await trainLanguageModel({ ...data, validation: [], unknownStandIns: singletonIds(data.train) }, vocabSize, winner.hyperparameters, {
    ...rest,
    ...(onProgress === undefined ? {} : { onProgress }),
  });
  const trials = candidates.map((candidate, index): SearchTrial => ({
    name: candidate.name,
    changes: changedSettings(candidate.hyperparameters, defaults.hyperparameters),
    epochs: curves[index]!.bestEpoch,
    validationLoss: lowest(curves[index]!),
    outcome: index === winnerIndex ? 'won' : 'lost',
  }));
  return { ...trained, winner, trials, rungs: [], folds, servedModel };
}

/**
 * Trains `hp` on every fold (each with the next `options()`), scoring the held-out fold after each
 * epoch; all epochs run, the deadline is not asked: the folds of a corpus this small train in seconds.
 */
async function heldOutCurve(splits: readonly FoldTraining[], vocabSize: number, hp: Hyperparameters, options: () => TrainingOptions): Promise<HeldOutCurve> {
  const lossSums = new Array<number>(hp.maxEpochs).fill(0);
  let targets = 0;
  for (const split of splits) {
    const session = await TrainingSession.open(split.data, vocabSize, hp, options());
    try {
      const foldTargets = split.heldOut.reduce((sum, sentence) => sum + sentence.length + 1, 0);
      targets += foldTargets;
      while (!session.done) {
        await session.trainEpoch();
        lossSums[session.history.length - 1]! += session.score(split.heldOut).loss * foldTargets;
      }
    } finally {
      await session.dispose();
    }
  }
  const losses = lossSums.map((sum) => sum / targets);
  const bestEpoch = losses.reduce((best, loss, index) => (loss < losses[best - 1]! ? index + 1 : best), 1);
  return { losses, bestEpoch };
}

/** Trains `hp` on every fold (each with the next `options()`) and hands the models to `use`, disposing them after. */
async function withFoldModels<T>(
  splits: readonly FoldTraining[],
  vocabSize: number,
  hp: Hyperparameters,
  options: () => TrainingOptions,
  use: (models: LstmLanguageModel[]) => T,
): Promise<T> {
  const models: LstmLanguageModel[] = [];
  try {
    for (const split of splits) models.push((await trainLanguageModel(split.data, vocabSize, hp, options())).model);
    return use(models);
  } finally {
    for (const model of models) model.dispose();
  }
}
