/**
 * How a run trains, decided before any training: from scratch or warm-started from the serving
 * model, on which sentences, with which vocabulary and hyperparameters, and within which time
 * budget. Pure: no tensors, no database.
 *
 * @module
 */
import { defaultHyperparameters, type CorpusSize, type Hyperparameters } from '../lm/hyperparameters.ts';
import { planSearch, type SearchPlan } from '../lm/search.ts';
import { Vocabulary } from '../lm/vocabulary.ts';
import type { CorpusSnapshot, RunKind } from '../store/types.ts';
import { corpusChanges, extendVocabulary, incrementalSelection, splitForValidation, type SplitCorpus } from './data.ts';
import { DEFAULT_FULL_BUDGET_MINUTES, DEFAULT_VOCABULARY, type JobSettings } from './job-settings.ts';
import type { TrainingMode } from './types.ts';

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

/** The serving model as a plan sees it. */
export interface ServingModelSummary {
  corpusRevision: number;
  corpusSentences: number;
  /** Training targets per second of each epoch when it was trained (on this machine, most likely). */
  epochTargetsPerSecond: readonly number[];
  /** Its vocabulary and hyperparameters when it loaded, to warm-start from; otherwise why it did not load. */
  loaded: { vocabulary: Vocabulary; hyperparameters: Hyperparameters } | { error: string };
  /**
   * The corpus-scaled defaults its hyperparameters were searched from (absent for models trained
   * before the search, whose own hyperparameters were those defaults).
   */
  searchedFrom?: Hyperparameters;
}

/** What a run trains on and how. */
export interface RunPlan extends SplitCorpus {
  mode: TrainingMode;
  /** Why this mode, for the run's summary. */
  modeReason: string;
  vocabulary: Vocabulary;
  /** The hyperparameters of the first candidate of {@link search} (the only one, unless it searches). */
  hyperparameters: Hyperparameters;
  /** The candidates the run compares on its validation sentences, and when. */
  search: SearchPlan;
  /** The corpus-scaled defaults the candidates were made from. */
  defaults: Hyperparameters;
  /** Milliseconds of wall time from the start of the run by which the epochs must end. */
  trainingBudgetMs: number;
}

/**
 * Chooses full or incremental training and the data, vocabulary and settings for it. A run warm-
 * starts (`incremental`) when asked to, from a serving model that loaded, when the corpus still
 * gets the serving model's architecture. Sentences removed since the serving model are left out
 * of its data, but only a full run makes the model forget them: the scheduler decides when that
 * is due, so a removal does not force a long run at once.
 */
export function planRun(kind: RunKind, corpus: CorpusSnapshot, serving: ServingModelSummary | undefined, settings: JobSettings): RunPlan {
  const vocabularyOptions = { ...DEFAULT_VOCABULARY, ...settings.vocabulary };
  const size = (vocabularySize: number): CorpusSize => ({
    sentences: corpus.sentences.length,
    tokens: corpus.sentences.reduce((sum, sentence) => sum + sentence.length, 0),
    vocabularySize,
  });
  const full = (modeReason: string): RunPlan => {
    const vocabulary = Vocabulary.build(corpus.sentences, vocabularyOptions);
    const defaults = defaultHyperparameters(size(vocabulary.size), settings.hyperparameters);
    // Hyperparameters a caller sets (tests, benchmarks) train as given, not searched around.
    const { hyperparameters, search } =
      settings.hyperparameters === undefined ? searched(planSearch(defaults, corpus.sentences.length)) : single(defaults);
    return {
      mode: 'full',
      modeReason,
      vocabulary,
      hyperparameters,
      search,
      defaults,
      ...trainingSplit(corpus.sentences, hyperparameters),
      trainingBudgetMs: epochBudgetMs(settings.fullBudgetMinutes ?? DEFAULT_FULL_BUDGET_MINUTES),
    };
  };

  if (kind === 'full') return full('a full retrain was requested');
  if (!serving) return full('there is no serving model to start from');
  const { loaded } = serving;
  if ('error' in loaded) return full(`the serving model could not be loaded (${loaded.error})`);
  const changes = corpusChanges(serving, { revision: corpus.revision, sentences: corpus.sentences.length });
  const vocabulary = extendVocabulary(loaded.vocabulary, corpus.sentences, vocabularyOptions);
  const defaults = defaultHyperparameters(size(vocabulary.size), settings.hyperparameters);
  // The serving model's hyperparameters won a search from defaults of the corpus's size then;
  // when the corpus has grown into other defaults, it is searched again from scratch.
  const searchedFrom = serving.searchedFrom ?? loaded.hyperparameters;
  if (
    defaults.embeddingSize !== searchedFrom.embeddingSize ||
    defaults.hiddenSize !== searchedFrom.hiddenSize ||
    (defaults.tiedWeights === true) !== (searchedFrom.tiedWeights === true)
  ) {
    return full('the corpus has outgrown the defaults the serving model was chosen from');
  }
  const hyperparameters = { ...defaults, ...reusedChoices(loaded.hyperparameters), ...withoutUndefined(settings.hyperparameters ?? {}) };

  // The newest sentences are the added ones (fewer when some of them were removed again).
  const firstNew = Math.max(0, corpus.sentences.length - changes.added);
  const fresh = splitForValidation(corpus.sentences.slice(firstNew), hyperparameters.validationFraction);
  const old = splitForValidation(corpus.sentences.slice(0, firstNew), hyperparameters.validationFraction);
  const train = incrementalSelection(fresh.train, old.train, {
    oldSample: Math.max(MIN_REPLAYED, REPLAY_PER_NEW_SENTENCE * fresh.train.length),
    seed: hyperparameters.seed,
  });
  const validation = [...old.validation, ...fresh.validation];
  const maxEpochs = Math.min(
    hyperparameters.maxEpochs,
    affordableEpochs(serving.epochTargetsPerSecond, targetCount(train), targetCount(validation), settings.budgetMinutes),
  );
  return {
    mode: 'incremental',
    modeReason:
      `${changes.added} new sentences${changes.removed > 0 ? `, ${changes.removed} removed` : ''}; ` +
      `${maxEpochs} epochs at most to fit the ${settings.budgetMinutes}-minute budget`,
    vocabulary,
    // A warm start's few epochs at a small rate are not averaged: its last weights carry the new sentences most.
    ...single({
      ...hyperparameters,
      maxEpochs,
      learningRate: hyperparameters.learningRate * WARM_START_LEARNING_RATE_SHARE,
      weightAveragingStart: undefined,
    }),
    defaults: searchedFrom,
    train,
    validation,
    // The estimate above plans the epochs; the deadline makes the budget hold when it is wrong.
    trainingBudgetMs: epochBudgetMs(settings.budgetMinutes),
  };
}

/**
 * What an incremental run keeps of the serving model's hyperparameters: the choices its search
 * made (width, regularisation, learning rate), over the defaults of the corpus as it is now.
 */
function reusedChoices(serving: Hyperparameters): Partial<Hyperparameters> {
  const { embeddingSize, hiddenSize, tiedWeights, dropout, embeddingDropout, unknownWordRate, learningRate } = serving;
  return withoutUndefined({ embeddingSize, hiddenSize, tiedWeights, dropout, embeddingDropout, unknownWordRate, learningRate });
}

/** A plan that trains one set of hyperparameters: no search. */
function single(hyperparameters: Hyperparameters): Pick<RunPlan, 'hyperparameters' | 'search'> {
  return searched({ candidates: [{ name: 'defaults', hyperparameters }], rungs: [], folds: 0 });
}

function searched(search: SearchPlan): Pick<RunPlan, 'hyperparameters' | 'search'> {
  return { hyperparameters: search.candidates[0]!.hyperparameters, search };
}

function withoutUndefined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The part of a budget epochs may take: the rest is kept for comparing and saving. */
export function epochBudgetMs(budgetMinutes: number): number {
  const budgetMs = budgetMinutes * 60_000;
  return budgetMs - Math.min(RESERVE_SHARE * budgetMs, MAX_RESERVE_MS);
}

/** The hash-based split; every sentence trains when the split would leave nothing to train on. */
function trainingSplit(sentences: string[][], hyperparameters: Hyperparameters): SplitCorpus {
  const split = splitForValidation(sentences, hyperparameters.validationFraction);
  return split.train.length > 0 ? split : { train: sentences, validation: [] };
}

/**
 * How many epochs fit in the budget, from the slowest epoch measured when the serving model was
 * trained. At least one: a run that cannot afford an epoch still learns the new sentences once.
 */
export function affordableEpochs(
  epochTargetsPerSecond: readonly number[],
  trainTargets: number,
  validationTargets: number,
  budgetMinutes: number,
): number {
  const measured = epochTargetsPerSecond.filter((value) => Number.isFinite(value) && value > 0);
  const targetsPerSecond = measured.length > 0 ? Math.min(...measured) : FALLBACK_TARGETS_PER_SECOND;
  const epochSeconds = (trainTargets + VALIDATION_COST * validationTargets) / targetsPerSecond;
  return Math.max(1, Math.floor(epochBudgetMs(budgetMinutes) / 1000 / epochSeconds));
}

/** Training targets of sentences: each word plus one end of sentence per sentence. */
export function targetCount(sentences: readonly string[][]): number {
  return sentences.reduce((sum, sentence) => sum + sentence.length + 1, 0);
}
