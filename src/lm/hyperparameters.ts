/**
 * Training hyperparameters and defaults that scale with the corpus, so that a three-sentence seed
 * corpus and a corpus of tens of thousands of sentences both train well with no flags.
 */
import { JsonFields } from '../json-fields.ts';

/** Everything that shapes a model and its training run. */
export interface Hyperparameters {
  /** Width of the word embeddings. */
  embeddingSize: number;
  /** Width of the LSTM state. */
  hiddenSize: number;
  /** Adam step size. */
  learningRate: number;
  /**
   * From this share of the planned steps (`maxEpochs`, or fewer when a training deadline leaves
   * time for fewer) on, snapshots of the weights are averaged, and the average replaces the best
   * epoch's weights when it validates better (undefined = no averaging).
   */
  weightAveragingStart?: number;
  /** Sentences (windows) per optimiser step. */
  batchSize: number;
  /** Upper bound on passes over the training sentences. */
  maxEpochs: number;
  /** Longest sequence the model is trained on; longer sentences are cut into overlapping windows. */
  contextLength: number;
  /** Share of sentences held out for validation (0 = no validation, no early stopping). */
  validationFraction: number;
  /** Epochs without a better validation loss before training stops. */
  patience: number;
  /** Seed of initialisation, shuffling, dropout and the validation split. */
  seed: number;
  /** Share of LSTM output units dropped during training (0 = no dropout). */
  dropout?: number;
  /** Share of embedding values dropped on their way into the LSTM during training (0 = none). */
  embeddingDropout?: number;
  /**
   * Share of the occurrences of words seen once that each epoch trains as the unknown word
   * (0 or undefined = none); see `TrainingData.unknownStandIns`.
   */
  unknownWordRate?: number;
  /** Gradients whose global norm exceeds this are scaled down to it (undefined = no clipping). */
  clipNorm?: number;
  /**
   * The output layer's kernel is the transpose of the embedding (weight tying); needs
   * `embeddingSize === hiddenSize`.
   */
  tiedWeights?: boolean;
  /**
   * Distinct vocabulary ids each training step scores its targets against (sampled softmax); the
   * whole vocabulary when undefined or when this is half the vocabulary or more.
   */
  sampledSoftmaxSize?: number;
  /**
   * Each word's embedding shares the embeddings of its pieces (`word-pieces.ts`) during training
   * (undefined = off: models trained before word pieces).
   */
  wordPieces?: boolean;
}

/** Size of the corpus the defaults adapt to. */
export interface CorpusSize {
  sentences: number;
  /** Word tokens over all sentences. */
  tokens: number;
  /** Ids in the vocabulary, special tokens included. */
  vocabularySize: number;
}

/** Below this many sentences there is no validation split: every sentence is needed for training. */
export const MIN_SENTENCES_FOR_VALIDATION = 200;

/**
 * Folds of the cross-validation that chooses the settings and the served mixture of a corpus
 * without a validation split (see `cross-validation.ts`).
 */
export const CROSS_VALIDATION_FOLDS = 5;

/**
 * From this many sentences on, a corpus without a validation split is cross-validated: two
 * held-out sentences per fold at least. Fewer say nothing about new text, and a seed corpus of a
 * handful of sentences is what the network, trained on all of them, memorises best.
 */
export const MIN_SENTENCES_FOR_CROSS_VALIDATION = 2 * CROSS_VALIDATION_FOLDS;

/** From this many sentences on, a corpus trains with a lower learning rate and dropout. */
export const LARGE_CORPUS_SENTENCES = 2000;

/**
 * Budget epochs below which a large corpus's embeddings are not dropped out, and from which they
 * are at the full `dropout` rate (linearly in between); see {@link defaultHyperparameters}.
 */
export const EMBEDDING_DROPOUT_EPOCHS = { from: 6, full: 10 } as const;

/**
 * Training targets a large corpus may be trained on over all its epochs: 24 to 27 minutes of the
 * tied 320 / 320 network with a sampled softmax in batches of 32 training alone on the 2-core
 * reference machine (1,850 to 2,250 targets per second, validation included, which varies by a
 * tenth from day to day), inside the 30 minutes a full retrain may take by default (its wall-clock
 * budget stops the epochs on a slower or busier machine: two trainings at once each run about a
 * third slower there).
 */
export const LARGE_CORPUS_TARGET_BUDGET = 2_850_000;

/**
 * Share of a large corpus's budget after which its weights are averaged: the constant learning
 * rate keeps the weights moving around a minimum, and their average sits closer to it.
 */
export const LARGE_CORPUS_WEIGHT_AVERAGING_START = 0.75;

/**
 * Share of the occurrences of words seen once that an epoch trains as the unknown word, from
 * {@link MIN_SENTENCES_FOR_VALIDATION} sentences on (see {@link defaultHyperparameters}).
 */
export const UNKNOWN_WORD_RATE = 0.5;

/** Vocabulary ids a large corpus's training steps score each target against (sampled softmax). */
export const LARGE_CORPUS_SAMPLED_SOFTMAX_SIZE = 1024;

/**
 * Hyperparameters for a corpus, with `overrides` applied last. Each rule's reason in a line; the
 * runs behind them are in `bench/RESULTS.md`. They seed the search of a full retrain
 * (`search.ts`), which decides on the server's own held-out sentences.
 *
 * - `hiddenSize` 32 / 64 / 128 for vocabularies below 100 / 2,000 / larger, 320 for a large
 *   corpus with 2,000 words or more: wider predicted held-out text better within the same budget.
 * - `sampledSoftmaxSize` for a large corpus: at 5,000 words the output layer is most of a step, and
 *   sampling made epochs 1.45x faster for the same validation loss (vocabularies under twice the
 *   sample keep the full softmax).
 * - `tiedWeights` for a large corpus (embedding = output layer): fewer parameters growing with the
 *   vocabulary; small corpora predicted worse tied.
 * - `batchSize` the power of two nearest to sentences / 16, within 8..32: whole-corpus steps for
 *   tiny corpora, more optimiser steps for budget-bound large ones.
 * - `learningRate` 0.01 without a validation split (many epochs over few steps), 0.005, 0.004 for a
 *   large corpus; training halves it after an epoch that does not improve validation loss.
 * - `weightAveragingStart` for a large corpus: its constant rate keeps the weights moving around a
 *   minimum and their average sits closer to it; smaller corpora stop at an unplannable epoch.
 * - `dropout` 0 without a validation split, 0.5, 0.3 for a large corpus: what validated best.
 * - `embeddingDropout` for a large corpus only, ramped by its budget epochs
 *   ({@link EMBEDDING_DROPOUT_EPOCHS}): whether it overfits depends on how many epochs it gets.
 * - `maxEpochs` about 300 optimiser steps (8..400) for small corpora, which validation stops
 *   early; a large corpus gets the epochs of {@link LARGE_CORPUS_TARGET_BUDGET} targets.
 * - `validationFraction` 0.1 from {@link MIN_SENTENCES_FOR_VALIDATION} sentences; `patience` 3, or
 *   2 for a large corpus (its validation set is less noisy).
 * - `contextLength` 32: most sentences whole while bounding the sequential work per batch.
 * - `unknownWordRate` {@link UNKNOWN_WORD_RATE} with a validation split: without it the network
 *   never sees the unknown word as a target, yet new text is full of new words.
 * - `wordPieces` on: a rare Chinese word's embedding learns from the common words it shares
 *   characters with (the LSTM alone predicted held-out text 1% to 7% better).
 * - `clipNorm` 5 against exploding LSTM gradients; `seed` 42.
 */
export function defaultHyperparameters(corpus: CorpusSize, overrides: Partial<Hyperparameters> = {}): Hyperparameters {
  const sentences = Math.max(1, corpus.sentences);
  const large = sentences >= LARGE_CORPUS_SENTENCES;
  const hiddenSize = corpus.vocabularySize < 100 ? 32 : corpus.vocabularySize < 2000 ? 64 : large ? 320 : 128;
  const validationFraction = sentences >= MIN_SENTENCES_FOR_VALIDATION ? 0.1 : 0;
  const batchSize = Math.min(sentences, clamp(2 ** Math.round(Math.log2(sentences / 16)), 8, 32));
  const trainingSentences = Math.max(1, Math.round(sentences * (1 - validationFraction)));
  const stepsPerEpoch = Math.ceil(trainingSentences / batchSize);
  const tiedWeights = large;
  const dropout = validationFraction === 0 ? 0 : large ? 0.3 : 0.5;
  const targetsPerEpoch = Math.max(1, corpus.tokens + sentences);
  const budgetEpochs = large ? Math.ceil(LARGE_CORPUS_TARGET_BUDGET / targetsPerEpoch) : 0;
  const { from, full } = EMBEDDING_DROPOUT_EPOCHS;
  const embeddingDropout = large ? dropout * clamp((budgetEpochs - from) / (full - from), 0, 1) : 0;
  const defaults: Hyperparameters = {
    embeddingSize: tiedWeights ? hiddenSize : hiddenSize / 2,
    hiddenSize,
    learningRate: large ? 0.004 : validationFraction > 0 ? 0.005 : 0.01,
    ...(large ? { weightAveragingStart: LARGE_CORPUS_WEIGHT_AVERAGING_START } : {}),
    batchSize,
    maxEpochs: large ? Math.min(budgetEpochs, 400) : clamp(Math.ceil(300 / stepsPerEpoch), 8, 400),
    contextLength: 32,
    validationFraction,
    patience: validationFraction > 0 && !large ? 3 : 2,
    seed: 42,
    dropout,
    embeddingDropout,
    unknownWordRate: validationFraction > 0 ? UNKNOWN_WORD_RATE : 0,
    clipNorm: 5,
    tiedWeights,
    ...(large ? { sampledSoftmaxSize: LARGE_CORPUS_SAMPLED_SOFTMAX_SIZE } : {}),
    wordPieces: true,
  };
  const merged = { ...defaults, ...withoutUndefined(overrides) };
  // Sizes chosen apart from each other cannot be tied; that choice wins over the default tying.
  if (overrides.tiedWeights === undefined && merged.embeddingSize !== merged.hiddenSize) merged.tiedWeights = false;
  validateHyperparameters(merged);
  return merged;
}

/** Throws a RangeError naming the first hyperparameter that is out of range. */
export function validateHyperparameters(hp: Hyperparameters): void {
  const positiveIntegers: (keyof Hyperparameters)[] = ['embeddingSize', 'hiddenSize', 'batchSize', 'maxEpochs'];
  for (const key of positiveIntegers) {
    const value = hp[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new RangeError(`${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (!Number.isInteger(hp.contextLength) || hp.contextLength < 2) {
    throw new RangeError(`contextLength must be an integer >= 2, got ${hp.contextLength}`);
  }
  if (!Number.isInteger(hp.patience) || hp.patience < 1) {
    throw new RangeError(`patience must be a positive integer, got ${hp.patience}`);
  }
  if (!Number.isInteger(hp.seed)) throw new RangeError(`seed must be an integer, got ${hp.seed}`);
  if (!(hp.learningRate > 0 && hp.learningRate < 10)) {
    throw new RangeError(`learningRate must be in (0, 10), got ${hp.learningRate}`);
  }
  if (!(hp.validationFraction >= 0 && hp.validationFraction < 1)) {
    throw new RangeError(`validationFraction must be in [0, 1), got ${hp.validationFraction}`);
  }
  const start = hp.weightAveragingStart;
  if (start !== undefined && !(start >= 0 && start < 1)) {
    throw new RangeError(`weightAveragingStart must be in [0, 1), got ${start}`);
  }
  for (const key of ['dropout', 'embeddingDropout', 'unknownWordRate'] as const) {
    const rate = hp[key];
    if (rate !== undefined && !(rate >= 0 && rate < 1)) throw new RangeError(`${key} must be in [0, 1), got ${rate}`);
  }
  if (hp.clipNorm !== undefined && !(hp.clipNorm > 0)) {
    throw new RangeError(`clipNorm must be positive, got ${hp.clipNorm}`);
  }
  const sampled = hp.sampledSoftmaxSize;
  if (sampled !== undefined && (!Number.isInteger(sampled) || sampled < 1)) {
    throw new RangeError(`sampledSoftmaxSize must be a positive integer, got ${sampled}`);
  }
  if (hp.tiedWeights === true && hp.embeddingSize !== hp.hiddenSize) {
    throw new RangeError(`tiedWeights needs embeddingSize === hiddenSize, got ${hp.embeddingSize} and ${hp.hiddenSize}`);
  }
}

/**
 * The hyperparameters stored with a model, read back. The optional ones were added after the first
 * models were stored, and stay absent when a row lacks them: each means the feature is off.
 *
 * @throws StoredJsonError when a field is missing or of the wrong type
 */
export function readHyperparameters(json: unknown, path = 'hyperparameters'): Hyperparameters {
  const fields = JsonFields.of(json, path);
  return {
    embeddingSize: fields.number('embeddingSize'),
    hiddenSize: fields.number('hiddenSize'),
    learningRate: fields.number('learningRate'),
    batchSize: fields.number('batchSize'),
    maxEpochs: fields.number('maxEpochs'),
    contextLength: fields.number('contextLength'),
    validationFraction: fields.number('validationFraction'),
    patience: fields.number('patience'),
    seed: fields.number('seed'),
    ...fields.optionalNumbers('weightAveragingStart', 'dropout', 'embeddingDropout', 'unknownWordRate', 'clipNorm', 'sampledSoftmaxSize'),
    ...(fields.has('tiedWeights') ? { tiedWeights: fields.boolean('tiedWeights') } : {}),
    ...(fields.has('wordPieces') ? { wordPieces: fields.boolean('wordPieces') } : {}),
  };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** `{ a: undefined }` in overrides means "no override", not "unset the default". */
function withoutUndefined(overrides: Partial<Hyperparameters>): Partial<Hyperparameters> {
  return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<Hyperparameters>;
}
