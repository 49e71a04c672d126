/**
 * One whole training run of one guild, given a store and the claimed run: read the corpus, build
 * the vocabulary, split, train (from scratch or warm-started), compare with the serving model on
 * the same held-out sentences, save the new version and record the outcome. Runs on whatever
 * thread calls it: inside the training worker, or in-process (e.g. a CLI command).
 *
 * @module
 */
import { errorMessage } from '../errors.ts';
import { initBackend } from '../lm/backend.ts';
import { defaultHyperparameters, type Hyperparameters } from '../lm/hyperparameters.ts';
import { growVocabulary, type LstmLanguageModel } from '../lm/model.ts';
import { packModel, unpackModel, type UnpackedModel } from '../lm/model-package.ts';
import { lstmPredictor } from '../lm/predict.ts';
import { chooseServedModel, type ServedModelChoice } from '../lm/served-model.ts';
import {
  TrainingAbortedError,
  trainLanguageModel,
  type EpochMetrics,
  type TrainerProgress,
} from '../lm/train.ts';
import { Vocabulary } from '../lm/vocabulary.ts';
import type { Store } from '../store/store.ts';
import type { CorpusSnapshot, StoredModel, TrainingRun } from '../store/types.ts';
import { corpusChanges, extendVocabulary, incrementalSelection, splitForValidation } from './data.ts';
import { DEFAULT_FULL_BUDGET_MINUTES, DEFAULT_VOCABULARY, type JobSettings } from './job-settings.ts';
import { keptEpoch, keptWeights, type ModelMetrics } from './metrics.ts';
import { decidePromotion, sharedTargetLosses } from './promotion.ts';
import { INTERRUPTED, type JobRunner } from './runner.ts';
import type { EpochSummary, TrainingMode, RunProgress, RunResult } from './types.ts';

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

/** The `summary` JSON recorded on a finished run. */
export interface RunSummary {
  modelVersion: number;
  promoted: boolean;
  note: string;
  mode: TrainingMode;
  modeReason: string;
  sentences: number;
  vocabularySize: number;
  epochs: number;
  stoppedEarly: boolean;
  finalLoss: number;
  validationLoss?: number;
  validationAccuracy?: number;
  seconds: number;
  backend: string;
}

/**
 * An incremental run replays this many older sentences per new one (at least
 * {@link MIN_REPLAYED}), so the model keeps what it knew while it learns the new sentences.
 */
const REPLAY_PER_NEW_SENTENCE = 4;
const MIN_REPLAYED = 200;
/**
 * A warm start trains at this share of the learning rate: a fresh optimiser's first steps move
 * every weight by about the full rate, which undoes much of what a large corpus taught when they
 * are taken on a small selection of it.
 */
const WARM_START_LEARNING_RATE_SHARE = 0.1;
/** Throughput assumed for budgeting when the serving model carries no measurement. */
const FALLBACK_TARGETS_PER_SECOND = 1000;
/** A validation target costs about a third of a training target (forward pass only). */
const VALIDATION_COST = 1 / 3;
/** Share of a budget kept for loading, comparing and saving after the epochs, up to {@link MAX_RESERVE_MS}. */
const RESERVE_SHARE = 0.2;
const MAX_RESERVE_MS = 60_000;
/** Progress is written to the store at most this often (the live stream is not throttled). */
const PROGRESS_WRITE_INTERVAL_MS = 2000;
/**
 * The run's heartbeat is written this often besides progress, which stops while the run prepares,
 * compares or saves: another process must not take the run for interrupted.
 */
const HEARTBEAT_INTERVAL_MS = 15_000;

interface RunPlan {
  mode: TrainingMode;
  modeReason: string;
  vocabulary: Vocabulary;
  hyperparameters: Hyperparameters;
  train: string[][];
  validation: string[][];
  initialModel?: LstmLanguageModel;
  /** Milliseconds of wall time from the start of the run by which the epochs must end. */
  trainingBudgetMs: number;
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
  const report = progressReporter(store, run, options.onProgress);
  const owned: LstmLanguageModel[] = [];
  const heartbeat = setInterval(() => {
    try {
      store.heartbeatRun(run.id);
    } catch {
      // Advisory, like progress: the next beat or progress write catches up.
    }
  }, HEARTBEAT_INTERVAL_MS);
  try {
    report('preparing', null, true);
    const backend = await initBackend();
    const corpus = store.corpus(run.guildId);
    if (corpus.sentences.length === 0) throw new Error('the guild has no sentences to train on');
    const serving = await loadServing(store.servingModel(run.guildId));
    if (serving.loaded) owned.push(serving.loaded.model);
    const plan = planRun(run, corpus, serving, options.settings);
    if (plan.initialModel) owned.push(plan.initialModel);
    throwIfAborted(options.signal);

    const encode = (sentences: string[][]): number[][] => sentences.map((tokens) => plan.vocabulary.encode(tokens).ids);
    const trained = await trainLanguageModel(
      { train: encode(plan.train), validation: encode(plan.validation) },
      plan.vocabulary.size,
      plan.hyperparameters,
      {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(plan.initialModel ? { initialModel: plan.initialModel } : {}),
        deadline: startedAtWallClock + plan.trainingBudgetMs,
        onProgress: (progress) => report('training', progress),
      },
    );
    owned.push(trained.model);

    report('saving', null, true);
    const comparison =
      serving.stored && serving.loaded && plan.validation.length > 0
        ? compareWithServing(trained.model, plan, serving.stored, serving.loaded)
        : null;
    const decision = comparison
      ? decidePromotion({ ...comparison, sentences: plan.validation.length })
      : { promote: true, note: `promoted: ${serving.stored ? 'no held-out sentences to compare on' : 'first model'}` };
    const bestEpoch = keptEpoch(trained.history);
    const kept = keptWeights(bestEpoch, trained.weightAverage);
    const servedModel =
      kept.validationLoss === undefined
        ? null
        : chooseServedModel(
            kept.validationLoss,
            encode(splitForValidation(corpus.sentences, plan.hyperparameters.validationFraction).train),
            encode(plan.validation),
            plan.vocabulary.size,
          );
    const note = servedModel?.served === 'kneser-ney' ? `${decision.note}; ${kneserNeyNote(servedModel)}` : decision.note;
    const metrics: ModelMetrics = {
      history: trained.history,
      bestEpoch: bestEpoch.epoch,
      ...(trained.weightAverage === undefined ? {} : { weightAverage: trained.weightAverage }),
      stoppedEarly: trained.stoppedEarly,
      stoppedAtDeadline: !trained.stoppedEarly && trained.history.length < plan.hyperparameters.maxEpochs,
      mode: plan.mode,
      modeReason: plan.modeReason,
      trainSentences: plan.train.length,
      trainTargets: targetCount(plan.train),
      validationSentences: plan.validation.length,
      validationTargets: targetCount(plan.validation),
      comparison,
      servedModel,
      backend,
      seconds: 0,
    };
    const packed = await packModel(trained.model, plan.vocabulary);
    // Last point where an abort still leaves no trace: after the commit the run has succeeded.
    throwIfAborted(options.signal);
    metrics.seconds = (performance.now() - startedAt) / 1000;
    const modelInput = {
      guildId: run.guildId,
      topology: packed.topology,
      weights: packed.weights,
      vocabulary: packed.vocabulary,
      hyperparameters: packed.hyperparameters,
      metrics,
      corpusSentences: corpus.sentences.length,
      corpusRevision: corpus.revision,
      note,
    };
    const saveOptions = {
      promote: decision.promote,
      rejected: !decision.promote,
      ...(options.settings.keepVersions === undefined ? {} : { keepVersions: options.settings.keepVersions }),
    };
    const outcome: Omit<RunSummary, 'modelVersion'> = {
      promoted: decision.promote,
      note,
      mode: plan.mode,
      modeReason: plan.modeReason,
      sentences: corpus.sentences.length,
      vocabularySize: plan.vocabulary.size,
      epochs: trained.history.length,
      stoppedEarly: trained.stoppedEarly,
      finalLoss: bestEpoch.trainLoss,
      ...(kept.validationLoss === undefined ? {} : { validationLoss: kept.validationLoss }),
      ...(kept.validationAccuracy === undefined ? {} : { validationAccuracy: kept.validationAccuracy }),
      seconds: metrics.seconds,
      backend,
    };
    // One transaction: a crash in between must not leave a saved model with its run still running.
    const saved = store.finishRunWithModel(run.id, modelInput, saveOptions, ({ version }): RunSummary => ({
      modelVersion: version,
      ...outcome,
    }));
    const summary: RunSummary = { modelVersion: saved.version, ...outcome };
    return {
      status: 'succeeded',
      runId: run.id,
      modelVersion: saved.version,
      promoted: decision.promote,
      note,
      sentences: summary.sentences,
      vocabularySize: summary.vocabularySize,
      finalLoss: summary.finalLoss,
      ...(summary.validationLoss === undefined ? {} : { validationLoss: summary.validationLoss }),
      ...(summary.validationAccuracy === undefined ? {} : { validationAccuracy: summary.validationAccuracy }),
      seconds: summary.seconds,
      history: trained.history.map(toEpochSummary),
    };
  } catch (error) {
    const message = options.signal?.aborted || error instanceof TrainingAbortedError ? INTERRUPTED : errorMessage(error);
    store.finishRun(run.id, { status: 'failed', error: message });
    return { status: 'failed', runId: run.id, error: message };
  } finally {
    clearInterval(heartbeat);
    for (const model of owned) model.dispose();
  }
}

/** The serving model as stored and, when it loads, as a model. */
interface Serving {
  stored: StoredModel | undefined;
  loaded: UnpackedModel | undefined;
  /** Why a stored serving model could not be loaded. */
  loadError?: string;
}

async function loadServing(stored: StoredModel | undefined): Promise<Serving> {
  if (!stored) return { stored, loaded: undefined };
  try {
    return { stored, loaded: await unpackModel(stored) };
  } catch (error) {
    // A serving model that no longer loads must not block retraining: train from scratch.
    return { stored, loaded: undefined, loadError: errorMessage(error) };
  }
}

/** Chooses full or incremental training and the data, vocabulary and settings for it. */
function planRun(run: TrainingRun, corpus: CorpusSnapshot, serving: Serving, settings: JobSettings): RunPlan {
  const vocabularyOptions = { ...DEFAULT_VOCABULARY, ...settings.vocabulary };
  const size = (vocabularySize: number): Parameters<typeof defaultHyperparameters>[0] => ({
    sentences: corpus.sentences.length,
    tokens: corpus.sentences.reduce((sum, sentence) => sum + sentence.length, 0),
    vocabularySize,
  });
  const full = (modeReason: string): RunPlan => {
    const vocabulary = Vocabulary.build(corpus.sentences, vocabularyOptions);
    const hyperparameters = defaultHyperparameters(size(vocabulary.size), settings.hyperparameters);
    return {
      mode: 'full',
      modeReason,
      vocabulary,
      hyperparameters,
      ...trainingSplit(corpus.sentences, hyperparameters),
      trainingBudgetMs: epochBudgetMs(settings.fullBudgetMinutes ?? DEFAULT_FULL_BUDGET_MINUTES),
    };
  };

  if (run.kind === 'full') return full('a full retrain was requested');
  const { stored, loaded } = serving;
  if (!stored) return full('there is no serving model to start from');
  if (!loaded) return full(`the serving model could not be loaded (${serving.loadError})`);
  const changes = corpusChanges(stored, { revision: corpus.revision, sentences: corpus.sentences.length });
  // Forgotten sentences must leave the model, which only training from scratch achieves.
  if (changes.removed > 0) return full(`${changes.removed} sentences were removed since the serving model`);
  if (changes.added === 0) return full('there are no new sentences since the serving model');
  const vocabulary = extendVocabulary(loaded.vocabulary, corpus.sentences, vocabularyOptions);
  const hyperparameters = defaultHyperparameters(size(vocabulary.size), settings.hyperparameters);
  if (
    hyperparameters.embeddingSize !== loaded.model.embeddingSize ||
    hyperparameters.hiddenSize !== loaded.model.hiddenSize ||
    (hyperparameters.tiedWeights === true) !== (loaded.model.hyperparameters.tiedWeights === true)
  ) {
    return full("the serving model's architecture differs from the one this corpus now gets");
  }

  const firstNew = corpus.sentences.length - changes.added;
  const fresh = splitForValidation(corpus.sentences.slice(firstNew), hyperparameters.validationFraction);
  const old = splitForValidation(corpus.sentences.slice(0, firstNew), hyperparameters.validationFraction);
  const train = incrementalSelection(fresh.train, old.train, {
    oldSample: Math.max(MIN_REPLAYED, REPLAY_PER_NEW_SENTENCE * fresh.train.length),
    seed: hyperparameters.seed,
  });
  const validation = [...old.validation, ...fresh.validation];
  const maxEpochs = Math.min(
    hyperparameters.maxEpochs,
    affordableEpochs(stored, targetCount(train), targetCount(validation), settings.budgetMinutes),
  );
  return {
    mode: 'incremental',
    modeReason: `${changes.added} new sentences; ${maxEpochs} epochs at most to fit the ${settings.budgetMinutes}-minute budget`,
    vocabulary,
    // A warm start's few epochs at a small rate are not averaged: its last weights carry the new sentences most.
    hyperparameters: {
      ...hyperparameters,
      maxEpochs,
      learningRate: hyperparameters.learningRate * WARM_START_LEARNING_RATE_SHARE,
      weightAveragingStart: undefined,
    },
    train,
    validation,
    initialModel: growVocabulary(loaded.model, vocabulary.size),
    // The estimate above plans the epochs; the deadline makes the budget hold when it is wrong.
    trainingBudgetMs: epochBudgetMs(settings.budgetMinutes),
  };
}

/** The part of a budget epochs may take. */
function epochBudgetMs(budgetMinutes: number): number {
  const budgetMs = budgetMinutes * 60_000;
  return budgetMs - Math.min(RESERVE_SHARE * budgetMs, MAX_RESERVE_MS);
}

/** The hash-based split; every sentence trains when the split would leave nothing to train on. */
function trainingSplit(sentences: string[][], hyperparameters: Hyperparameters): { train: string[][]; validation: string[][] } {
  const split = splitForValidation(sentences, hyperparameters.validationFraction);
  return split.train.length > 0 ? split : { train: sentences, validation: [] };
}

/**
 * How many epochs fit in the budget, from the throughput measured when the serving model was
 * trained on this machine (its stored metrics). At least one: a run that cannot afford an epoch
 * still learns the new sentences once.
 */
function affordableEpochs(serving: StoredModel, trainTargets: number, validationTargets: number, budgetMinutes: number): number {
  const metrics = serving.metrics as Partial<ModelMetrics> | null;
  const measured = (metrics?.history ?? [])
    .map((epoch) => epoch.tokensPerSecond)
    .filter((value) => Number.isFinite(value) && value > 0);
  const targetsPerSecond = measured.length > 0 ? Math.min(...measured) : FALLBACK_TARGETS_PER_SECOND;
  const epochSeconds = (trainTargets + VALIDATION_COST * validationTargets) / targetsPerSecond;
  return Math.max(1, Math.floor(epochBudgetMs(budgetMinutes) / 1000 / epochSeconds));
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

/** Why the n-gram model answers instead of the LSTM, for the run's note. */
function kneserNeyNote(choice: ServedModelChoice): string {
  const perplexity = (value: number): string => value.toFixed(1);
  return `the n-gram model answers: held-out perplexity ${perplexity(choice.kneserNeyPerplexity)} against the LSTM's ${perplexity(choice.lstmPerplexity)}`;
}

function targetCount(sentences: readonly string[][]): number {
  return sentences.reduce((sum, sentence) => sum + sentence.length + 1, 0);
}

function toEpochSummary(epoch: EpochMetrics): EpochSummary {
  return {
    epoch: epoch.epoch,
    trainLoss: epoch.trainLoss,
    ...(epoch.validationLoss === undefined ? {} : { validationLoss: epoch.validationLoss }),
    ...(epoch.validationAccuracy === undefined ? {} : { validationAccuracy: epoch.validationAccuracy }),
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TrainingAbortedError();
}

/** Streams progress to the listener and, throttled, into the run's row (seen by `/stats`). */
function progressReporter(
  store: JobStore,
  run: TrainingRun,
  listener: JobOptions['onProgress'],
): (phase: RunProgress['phase'], trainer: TrainerProgress | null, force?: boolean) => void {
  let lastWrite = 0;
  return (phase, trainer, force = false) => {
    const progress: RunProgress = {
      runId: run.id,
      guildId: run.guildId,
      phase,
      epoch: trainer?.epoch ?? 0,
      maxEpochs: trainer?.epochs ?? 0,
      batch: trainer?.batch ?? 0,
      batchesPerEpoch: trainer?.batchesPerEpoch ?? 0,
      loss: trainer?.loss ?? null,
      tokensPerSecond: trainer?.tokensPerSecond ?? null,
      etaSeconds: trainer?.etaSeconds ?? null,
    };
    listener?.(progress);
    const now = Date.now();
    if (force || now - lastWrite >= PROGRESS_WRITE_INTERVAL_MS) {
      lastWrite = now;
      try {
        store.updateRunProgress(run.id, progress);
      } catch {
        // Advisory only: a database busy for longer than its timeout must not fail the run;
        // the next write brings the row up to date.
      }
    }
  };
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
