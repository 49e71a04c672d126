/**
 * One whole training run of one guild, given a store and the claimed run: read the corpus, plan
 * (`plan.ts`), train from scratch or warm-started, compare with the serving model on the same
 * held-out sentences, save the new version and record the outcome. Runs on whatever thread calls
 * it: inside the training worker, or in-process (e.g. a CLI command).
 *
 * @module
 */
import { errorMessage } from '../errors.ts';
import { initBackend } from '../lm/backend.ts';
import { growVocabulary, type LstmLanguageModel } from '../lm/model.ts';
import { packModel, unpackModel, type UnpackedModel } from '../lm/model-package.ts';
import { lstmPredictor } from '../lm/predict.ts';
import { asUnseenText, singletonIds } from '../lm/unknown-words.ts';
import { chooseServedModel, mixturePerplexity, servedCalibration, servedFrequencyWeights, servedGeometricWeights, type ServedModelChoice } from '../lm/served-model.ts';
import { mixtureWeightName } from '../lm/frequency-weights.ts';
import { trainWithSearch, type SearchResult, type SearchTrial } from '../lm/search.ts';
import { trainCrossValidated } from '../lm/cross-validation.ts';
import { planRefit, refit } from '../lm/refit.ts';
import { FIRST_WORD_ID } from '../lm/special-tokens.ts';
import { wordPieces, type WordPieces } from '../lm/word-pieces.ts';
import {
  TrainingAbortedError,
  type EpochMetrics,
  type TrainerProgress,
  type TrainerResult,
  type TrainingOptions,
} from '../lm/training-types.ts';
import type { Store } from '../store/store.ts';
import type { CorpusSnapshot, StoredModel, TrainingRun } from '../store/types.ts';
import { splitForValidation } from './data.ts';
import type { JobSettings } from './job-settings.ts';
import { keptEpoch, keptWeights, readModelMetrics, toEpochSummary, type KeptWeights, type ModelMetrics } from './metrics.ts';
import { planRun, targetCount, type RunPlan, type ServingModelSummary } from './plan.ts';
import { ProgressReporter } from './progress.ts';
import { decidePromotion, sharedTargetLosses, type PromotionDecision } from './promotion.ts';
import type { RunSummary } from './run-summary.ts';
import { INTERRUPTED, type JobRunner } from './runner.ts';
import type { RunProgress, RunResult } from './types.ts';

/** The store operations a job uses. */
export type JobStore = Pick<
  Store,
  'corpus' | 'servingModel' | 'finishRunWithModel' | 'finishRun' | 'updateRunProgress' | 'heartbeatRun'
>;

/** Options of {@link runTrainingJob}. */
export interface JobOptions {
  settings: JobSettings;
  /** Aborting ends the run as failed 'interrupted' unless its model is already committed. */
  signal?: AbortSignal;
  onProgress?(progress: RunProgress): void;
}

/**
 * Executes a claimed run to its end and records the outcome in the store: on success the model
 * version (promoted or kept back, see `promotion.ts`) and the run finished 'succeeded' with a
 * {@link RunSummary}; on any failure the run finished 'failed' with the error ('interrupted'
 * when aborted) and nothing saved, so the previous model keeps serving.
 */
export async function runTrainingJob(store: JobStore, run: TrainingRun, options: JobOptions): Promise<RunResult> {
  const startedAt = performance.now();
  const startedAtWallClock = Date.now();
  const progress = new ProgressReporter(store, run, options.onProgress);
  const owned: LstmLanguageModel[] = [];
  try {
    progress.report('preparing', null, true);
    const backend = await initBackend();
    const corpus = store.corpus(run.guildId);
    if (corpus.sentences.length === 0) throw new Error('the guild has no sentences to train on');
    const serving = await loadServing(store.servingModel(run.guildId));
    if (serving?.loaded) owned.push(serving.loaded.model);
    const plan = planRun(run.kind, corpus, serving && summarize(serving), options.settings);
    const initialModel = warmStart(plan, serving);
    if (initialModel) owned.push(initialModel);
    throwIfAborted(options.signal);

    const data = trainingData(plan, corpus);
    const trainingOptions = {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(initialModel ? { initialModel } : {}),
      deadline: startedAtWallClock + plan.trainingBudgetMs,
      onProgress: (trainer: TrainerProgress) => progress.report('training', trainer),
    };
    const { candidates, rungs, folds } = plan.search;
    const trained: TrainedModel =
      folds > 0
        ? await trainCrossValidated({ train: data.train, wordPieces: data.wordPieces }, plan.vocabulary.size, candidates, folds, {
            ...trainingOptions,
            onCrossValidationProgress: ({ training, trainings, trainer, etaSeconds }) =>
              progress.report('cross-validating', {
                ...trainer,
                epoch: training,
                epochs: trainings,
                batch: trainer.epoch,
                batchesPerEpoch: trainer.epochs,
                etaSeconds: etaSeconds ?? trainer.etaSeconds,
              }),
          })
        : await trainWithSearch(
            { train: data.train, validation: data.validation, unknownStandIns: data.unknownStandIns, wordPieces: data.wordPieces },
            plan.vocabulary.size,
            candidates,
            rungs,
            trainingOptions,
          );
    owned.push(trained.model);

    // Judged before the refit: its network has seen the held-out sentences.
    const verdict = judge(trained, plan, data, serving);
    const refitted = await refitOnEverySentence(trained, plan, data, trainingOptions, progress);
    if (refitted) owned.push(refitted.model);
    progress.report('saving', null, true);
    const packed = await packModel((refitted ?? trained).model, plan.vocabulary);
    // Last point where an abort still leaves no trace: after the commit the run has succeeded.
    throwIfAborted(options.signal);
    const seconds = (performance.now() - startedAt) / 1000;
    const refit = refitted && refitSummary(refitted, data.everySentence.length);
    const metrics = modelMetrics(trained, refit, plan, verdict, backend, seconds);
    const note = refit ? `${verdict.note}; then trained again on all ${refit.sentences} sentences for ${refit.epochs} epochs` : verdict.note;
    const outcome: Omit<RunSummary, 'modelVersion'> = {
      promoted: verdict.decision.promote,
      note,
      mode: plan.mode,
      modeReason: plan.modeReason,
      sentences: corpus.sentences.length,
      vocabularySize: plan.vocabulary.size,
      epochs: trained.history.length,
      stoppedEarly: trained.stoppedEarly,
      finalLoss: verdict.bestEpoch.trainLoss,
      ...validationFigures(verdict.kept),
      seconds,
      backend,
    };
    // One transaction: a crash in between must not leave a saved model with its run still running.
    const saved = store.finishRunWithModel(
      run.id,
      {
        guildId: run.guildId,
        ...packed,
        metrics,
        corpusSentences: corpus.sentences.length,
        corpusRevision: corpus.revision,
        fromScratch: plan.mode === 'full',
        note,
      },
      {
        promote: verdict.decision.promote,
        rejected: !verdict.decision.promote,
        ...(options.settings.keepVersions === undefined ? {} : { keepVersions: options.settings.keepVersions }),
      },
      ({ version }): RunSummary => ({ modelVersion: version, ...outcome }),
    );
    return {
      status: 'succeeded',
      runId: run.id,
      modelVersion: saved.version,
      promoted: outcome.promoted,
      note: outcome.note,
      sentences: outcome.sentences,
      vocabularySize: outcome.vocabularySize,
      finalLoss: outcome.finalLoss,
      ...validationFigures(verdict.kept),
      seconds,
      history: trained.history.map(toEpochSummary),
    };
  } catch (error) {
    const message = options.signal?.aborted || error instanceof TrainingAbortedError ? INTERRUPTED : errorMessage(error);
    store.finishRun(run.id, { status: 'failed', error: message });
    return { status: 'failed', runId: run.id, error: message };
  } finally {
    progress.stop();
    for (const model of owned) model.dispose();
  }
}

/** The serving model as stored and, when it loads, as a model with its metrics; else why it did not load. */
type Serving = { stored: StoredModel } & (
  | { loaded: UnpackedModel; metrics: ModelMetrics; loadError?: never }
  | { loaded?: never; metrics?: never; loadError: string }
);

async function loadServing(stored: StoredModel | undefined): Promise<Serving | undefined> {
  if (!stored) return undefined;
  try {
    const metrics = readModelMetrics(stored.metrics);
    return { stored, loaded: await unpackModel(stored), metrics };
  } catch (error) {
    // A serving model that no longer loads must not block retraining: train from scratch.
    return { stored, loadError: errorMessage(error) };
  }
}

/** What the plan needs to know of the serving model. */
function summarize(serving: Serving): ServingModelSummary {
  const { stored, loaded } = serving;
  return {
    corpusRevision: stored.corpusRevision,
    corpusSentences: stored.corpusSentences,
    epochTargetsPerSecond: serving.metrics?.history.map((epoch) => epoch.tokensPerSecond) ?? [],
    ...(serving.metrics?.searchedFrom === undefined ? {} : { searchedFrom: serving.metrics.searchedFrom }),
    loaded: loaded
      ? { vocabulary: loaded.vocabulary, hyperparameters: loaded.model.hyperparameters }
      : { error: serving.loadError },
  };
}

/** The model an incremental run starts from: the serving one, grown to the plan's vocabulary. */
function warmStart(plan: RunPlan, serving: Serving | undefined): LstmLanguageModel | undefined {
  if (plan.mode === 'full') return undefined;
  if (!serving?.loaded) throw new Error('an incremental run needs the serving model loaded');
  return growVocabulary(serving.loaded.model, plan.vocabulary.size);
}

/** A search's winner, with the mixture its cross-validation fitted when it had no validation split. */
type TrainedModel = SearchResult & { servedModel?: ServedModelChoice };

/** What the run concludes of its model: whether it serves, which weights it holds, and why. */
interface Verdict {
  comparison: ModelMetrics['comparison'];
  decision: PromotionDecision;
  bestEpoch: EpochMetrics;
  kept: KeptWeights;
  servedModel: ServedModelChoice | null;
  /** The decision's note, and why the n-gram model answers when it does. */
  note: string;
}

function judge(trained: TrainedModel, plan: RunPlan, data: EncodedData, serving: Serving | undefined): Verdict {
  const comparison = serving?.loaded && plan.validation.length > 0 ? compareWithServing(trained.model, plan, serving.stored, serving.loaded) : null;
  const decision = comparison
    ? decidePromotion({ ...comparison, sentences: plan.validation.length })
    : { promote: true, note: `promoted: ${serving ? 'no held-out sentences to compare on' : 'first model'}` };
  const bestEpoch = keptEpoch(trained.history);
  const kept = keptWeights(bestEpoch, trained.weightAverage);
  const servedModel =
    trained.servedModel ??
    (data.validation.length === 0
      ? carriedCrossValidation(plan, serving)
      : chooseServedModel([{ lstm: lstmPredictor(trained.model), train: data.trainingSide, heldOut: data.validation }], plan.vocabulary.size));
  const note = [
    decision.note,
    ...(trained.trials.length > 1 ? [searchNote(trained)] : []),
    ...(servedModel === null || servedModel.served === 'lstm' ? [] : [servedModelNote(servedModel)]),
  ].join('; ');
  return { comparison, decision, bestEpoch, kept, servedModel, note };
}

/**
 * What answers after an incremental run without a validation split, which has nothing to fit the
 * mixture on: what the serving model's cross-validation chose carries over, its network having
 * moved by a few sentences since. Null (the LSTM alone) when that model was not cross-validated.
 */
function carriedCrossValidation(plan: RunPlan, serving: Serving | undefined): ServedModelChoice | null {
  const choice = serving?.metrics?.servedModel;
  return plan.mode === 'incremental' && choice?.folds !== undefined ? choice : null;
}

/** A run's sentences as ids of the plan's vocabulary. */
interface EncodedData {
  train: number[][];
  /** The held-out sentences as new text would read (see `asUnseenText`). */
  validation: number[][];
  /**
   * Every sentence of the corpus's training side, not only an incremental run's selection: what
   * the 3-gram counts, and what "seen" means for the held-out sentences.
   */
  trainingSide: number[][];
  /** The words seen once on the training side, which stand in for unknown words. */
  unknownStandIns: number[];
  /** The pieces of the vocabulary's words (see `word-pieces.ts`). */
  wordPieces: WordPieces;
  /** The training and the held-out sentences as the corpus holds them: what a refit trains on. */
  everySentence: number[][];
}

function trainingData(plan: RunPlan, corpus: CorpusSnapshot): EncodedData {
  const encode = (sentences: string[][]): number[][] => sentences.map((tokens) => plan.vocabulary.encode(tokens).ids);
  const trainingSide = encode(splitForValidation(corpus.sentences, plan.hyperparameters.validationFraction).train);
  const train = encode(plan.train);
  const heldOut = encode(plan.validation);
  return {
    train,
    validation: asUnseenText(heldOut, trainingSide),
    everySentence: [...train, ...heldOut],
    trainingSide,
    unknownStandIns: singletonIds(trainingSide),
    wordPieces: wordPieces(plan.vocabulary.toJSON().tokens, FIRST_WORD_ID),
  };
}

function compareWithServing(
  model: LstmLanguageModel,
  plan: RunPlan,
  stored: StoredModel,
  loaded: UnpackedModel,
): NonNullable<ModelMetrics['comparison']> {
  const started = performance.now();
  const { losses, targets } = sharedTargetLosses(
    [
      { vocabulary: plan.vocabulary, predictor: lstmPredictor(model) },
      { vocabulary: loaded.vocabulary, predictor: lstmPredictor(loaded.model) },
    ],
    plan.validation,
  );
  return {
    servingVersion: stored.version,
    newLoss: losses[0]!,
    servingLoss: losses[1]!,
    targets,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The winner of a full run's search trained again on every sentence (`refit.ts`), when there were
 * held-out sentences and the budget leaves time for it; undefined otherwise, and when the deadline
 * cut it short (the validated network then serves). An incremental run has been judged on the
 * sentences it continues from, and keeps its few epochs.
 */
async function refitOnEverySentence(
  trained: TrainedModel,
  plan: RunPlan,
  data: EncodedData,
  options: TrainingOptions,
  progress: ProgressReporter,
): Promise<TrainerResult | undefined> {
  if (plan.mode !== 'full' || data.validation.length === 0) return undefined;
  const targetsRatio = targetCount([...plan.train, ...plan.validation]) / targetCount(plan.train);
  const refitPlan = planRefit(trained, trained.winner.hyperparameters, targetsRatio, options.deadline);
  if (refitPlan === undefined) return undefined;
  const result = await refit({ train: data.everySentence, wordPieces: data.wordPieces }, plan.vocabulary.size, refitPlan, {
    ...options,
    onProgress: (trainer) => progress.report('refitting', trainer),
  });
  if (result.history.length === refitPlan.learningRates.length) return result;
  result.model.dispose();
  return undefined;
}

/** What a refit on `sentences` sentences did, as the model's metrics record it. */
function refitSummary(refitted: TrainerResult, sentences: number): NonNullable<ModelMetrics['refit']> {
  return { epochs: refitted.history.length, sentences, seconds: refitted.history.reduce((sum, epoch) => sum + epoch.seconds, 0) };
}

/** What the hyperparameter search tried, and the validation perplexity that decided, for the run's note. */
function searchNote({ trials, folds }: SearchResult): string {
  const perplexity = (trial: SearchTrial): string => (trial.validationLoss === undefined ? '–' : Math.exp(trial.validationLoss).toFixed(1));
  const described = trials.map((trial) =>
    trial.outcome === 'won'
      ? `"${trial.name}" won at ${folds === undefined ? 'validation' : 'cross-validated'} perplexity ${perplexity(trial)}`
      : trial.outcome === 'lost'
        ? `"${trial.name}" ${perplexity(trial)}`
        : `"${trial.name}" ${perplexity(trial)} after rung ${trial.outcome.droppedAfterRung}`,
  );
  return `hyperparameter search${folds === undefined ? '' : ` over ${folds} folds`}: ${described.join(', ')}`;
}

/** Why the n-gram model or the mixture answers instead of the LSTM alone, for the run's note. */
function servedModelNote(choice: ServedModelChoice): string {
  const perplexity = (value: number): string => value.toFixed(1);
  const heldOut = choice.folds === undefined ? 'held-out' : `${choice.folds}-fold cross-validated`;
  const figures = `${heldOut} perplexity ${perplexity(mixturePerplexity(choice))} against the LSTM's ${perplexity(choice.lstmPerplexity)} and the 3-gram's ${perplexity(choice.kneserNeyPerplexity)}`;
  const geometric = servedGeometricWeights(choice);
  if (choice.served === 'kneser-ney') return `the n-gram model answers: ${figures}`;
  const calibration = servedCalibration(choice);
  const calibrated = calibration === null ? '' : `, the LSTM calibrated: exponent ${calibration.exponent.toFixed(2)}, unknown words ×${calibration.unknownScale.toFixed(2)}`;
  return geometric === null
    ? `the LSTM + 3-gram mixture answers (${mixtureWeightName(choice.lstmWeight, servedFrequencyWeights(choice))}${calibrated}): ${figures}`
    : `the LSTM × 3-gram geometric mixture answers (exponents ${geometric.lstmExponent.toFixed(2)} / ${geometric.kneserNeyExponent.toFixed(2)}): ${figures}`;
}

function modelMetrics(
  trained: SearchResult,
  refit: ModelMetrics['refit'],
  plan: RunPlan,
  verdict: Verdict,
  backend: string,
  seconds: number,
): ModelMetrics {
  return {
    history: trained.history,
    ...(refit === undefined ? {} : { refit }),
    searchedFrom: plan.defaults,
    search: trained.trials.length > 1 ? { rungs: trained.rungs, trials: trained.trials, ...(trained.folds === undefined ? {} : { folds: trained.folds }) } : null,
    bestEpoch: verdict.bestEpoch.epoch,
    ...(trained.weightAverage === undefined ? {} : { weightAverage: trained.weightAverage }),
    stoppedEarly: trained.stoppedEarly,
    stoppedAtDeadline: !trained.stoppedEarly && trained.history.length < trained.winner.hyperparameters.maxEpochs,
    mode: plan.mode,
    modeReason: plan.modeReason,
    trainSentences: plan.train.length,
    trainTargets: targetCount(plan.train),
    validationSentences: plan.validation.length,
    validationTargets: targetCount(plan.validation),
    comparison: verdict.comparison,
    servedModel: verdict.servedModel,
    backend,
    seconds,
  };
}

/** The kept weights' validation figures, leaving out those there are none of. */
function validationFigures(kept: KeptWeights): { validationLoss?: number; validationAccuracy?: number } {
  return {
    ...(kept.validationLoss === undefined ? {} : { validationLoss: kept.validationLoss }),
    ...(kept.validationAccuracy === undefined ? {} : { validationAccuracy: kept.validationAccuracy }),
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TrainingAbortedError();
}

/**
 * A {@link JobRunner} that trains on the calling thread: for command-line use, where blocking the
 * event loop does not matter. The bot uses the worker runner.
 */
export function createInProcessRunner(store: JobStore): JobRunner {
  return (request, hooks) =>
    runTrainingJob(store, request.run, {
      settings: request.settings,
      signal: hooks.signal,
      onProgress: hooks.onProgress,
    });
}
