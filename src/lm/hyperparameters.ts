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
   * From this share of the planned steps (`maxEpochs`) on, snapshots of the weights are averaged,
   * and the average replaces the best epoch's weights when it validates better (undefined = no
   * averaging).
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
 * Hyperparameters for a corpus, with `overrides` applied last.
 *
 * - `hiddenSize` 32 / 64 / 128 for vocabularies below 100 / below 2,000 / larger: enough capacity
 *   to memorise a handful of sentences, and for a 5,000-word vocabulary the width of the PyTorch
 *   reference; 320 for a large corpus ({@link LARGE_CORPUS_SENTENCES} sentences) with 2,000 words
 *   or more. Wider predicts held-out text better in the same 30 minutes (perplexity / top-5):
 *   Chinese 75.6 / 39.40% at 320 and 76.4 / 39.05% at 256 (sampled softmax, 11 and 15 epochs)
 *   against 76.6 / 38.8% at 192 and 78.8 / 37.9% at 128 (full softmax, 15 and 20 epochs); English
 *   64.2 / 45.6% at 320 and 65.4 / 45.3% at 256 against 66.2 / 44.8% at 192 and 69.8 / 44.2% at
 *   128 (7, 8, 8 and 12 epochs). The 128-wide network had saturated: 6 million targets instead of
 *   5.5 gave the same figures.
 * - `sampledSoftmaxSize` {@link LARGE_CORPUS_SAMPLED_SOFTMAX_SIZE} for a large corpus: each
 *   training step scores its targets against that many ids drawn by frequency instead of the whole
 *   vocabulary (validation and prediction keep the full softmax). At 5,000 words the output layer
 *   is most of a step's arithmetic; sampling made an epoch of the 256-wide network 1.45x faster
 *   (97 s against 140 s on the Chinese corpus) for the same validation loss epoch by epoch (4.526
 *   against 4.521 after 7 epochs), which pays for the width: the full softmax at 256 fits only
 *   11 epochs (75.7 / 39.05%, 27 minutes) against 15 sampled. A vocabulary of less than twice the
 *   sample keeps the full softmax.
 * - `tiedWeights` from {@link LARGE_CORPUS_SENTENCES} sentences on, with `embeddingSize` equal to
 *   `hiddenSize`: the output layer reuses the embedding (Press & Wolf; Inan et al.), which halves
 *   the parameters that grow with the vocabulary and lets rare words learn from both ends. Smaller
 *   corpora keep separate layers and an embedding half the state: on 500-sentence samples the
 *   tied network predicted worse (held-out perplexity 476 / 980 against 425 / 862 untied).
 * - `batchSize` the power of two nearest to sentences / 16, within 8..32, and never more than the
 *   corpus: whole-corpus steps for tiny corpora, many noisy steps for larger ones. 32 rather than
 *   the reference's 64 for large corpora: twice the optimiser steps for about a tenth more time per
 *   target, which the budget-bound large corpora need (held-out perplexity / top-5 of the 128-wide
 *   network in about the same time: English 69.8 / 44.2% against 72.1 / 43.6%, Chinese
 *   78.8 / 37.9% against 79.3 / 37.8%).
 * - `learningRate` 0.01 for corpora without a validation split, which need many epochs over few
 *   steps; 0.005 up to {@link LARGE_CORPUS_SENTENCES}; 0.004 from there on. Training halves it and
 *   goes back to the best weights after each epoch that does not improve validation loss.
 * - `weightAveragingStart` {@link LARGE_CORPUS_WEIGHT_AVERAGING_START} for a large corpus: the
 *   average of four weight snapshots per epoch over the last quarter of the budget serves when it
 *   validates better than the best epoch. Held-out perplexity / top-5 with it (128-wide, batches
 *   of 64), English 72.1 / 43.6% (73.6 / 43.3% without), Chinese 79.3 / 37.8% (79.9 / 37.8%).
 *   Annealing the rate along a cosine to a tenth instead overfitted: 77.6 / 42.3% and
 *   83.6 / 36.5%. Smaller corpora, stopped by validation at an epoch nobody can plan, are not
 *   averaged.
 * - `dropout` (LSTM outputs) 0 without a validation split, 0.5 up to
 *   {@link LARGE_CORPUS_SENTENCES} sentences, 0.3 from there on. On 450-sentence samples of the
 *   English and Chinese corpora, lr 0.01 without dropout overfitted after 4-5 epochs (held-out
 *   perplexity 455 / 1,191); lr 0.005 with dropout 0.5 reached 428 / 834. On the whole Chinese
 *   corpus (192-wide), 0.3 on the outputs and on the embeddings is the best top-5 found: more
 *   dropout (both alike) gave 76.2 / 38.2% at 0.4 and 77.3 / 37.3% at 0.5, less gave 78.6 / 38.7%
 *   (0.2 on the outputs) and 77.8 / 38.7% (0.2 on the embeddings), against 76.6 / 38.8%.
 * - `embeddingDropout` 0 below {@link LARGE_CORPUS_SENTENCES} sentences (on the 500-sentence
 *   samples it did not help: 443 / 860 with it at 0.5). A large corpus is trained for as many
 *   epochs as the budget allows, and whether it then overfits depends on that number: under
 *   {@link EMBEDDING_DROPOUT_EPOCHS}`.from` budget epochs its embeddings are not dropped, from
 *   `.full` on they are at the `dropout` rate, linearly in between. With the tied 192 / 192
 *   network and dropout 0.3 (held-out perplexity / top-5), the Chinese corpus (15 budget epochs)
 *   reached 76.6 / 38.8% with embedding dropout and 79.8 / 38.3% without it, overfitting from
 *   epoch 9; the English one (8 budget epochs) 66.2 / 44.8% without it. Earlier, with the tied
 *   128 / 128 network: English (13 budget epochs, still improving at the end) 73.6 without
 *   embedding dropout and 87.1 with it; Chinese (23 budget epochs) 86.5 without it, stopped early
 *   by overfitting, and 79.9 with it. The untied 64 / 128 network with dropout 0.4 on the outputs
 *   only had reached 82.4 and 88.0. A wider network overfits after fewer epochs: the ramp was 10 to
 *   15 budget epochs up to 256 wide, and moved to 6 to 10 at 320, which gives the Chinese corpus
 *   (11 budget epochs) the full rate that was best at 192 and the English one (7) a quarter of it.
 * - `maxEpochs` enough epochs for about 300 optimiser steps, at least 8 and at most 400, below
 *   {@link LARGE_CORPUS_SENTENCES} sentences: a tiny corpus (one step per epoch) needs hundreds of
 *   passes to converge, a larger one is stopped early by validation. A large corpus gets the epochs
 *   that train on {@link LARGE_CORPUS_TARGET_BUDGET} targets (at least one), however few: an eighth
 *   epoch of the English corpus would not fit in the 30 minutes.
 * - `validationFraction` 0.1 from {@link MIN_SENTENCES_FOR_VALIDATION} sentences on, else 0;
 *   `patience` 3 epochs below {@link LARGE_CORPUS_SENTENCES} sentences (small validation sets are
 *   noisy), else 2.
 * - `contextLength` 32: covers most sentences whole (the median is ~20 words) while bounding the
 *   sequential LSTM work per batch.
 * - `unknownWordRate` {@link UNKNOWN_WORD_RATE} with a validation split, else 0. The vocabulary
 *   keeps every word of a small corpus, so without it the network never sees the unknown word as
 *   a target and gives it almost no probability, yet a fifth to a third of the words of new text
 *   are unknown on a few hundred sentences. On 300-sentence samples (held-out perplexity, English
 *   and Chinese) the network reached 542 and 809 without it and 107 and 87 with it; at 1 (every
 *   word seen once trained as unknown, so never predicted itself) 102 and 75. Half keeps the words
 *   members taught once predictable. Tiny corpora (no validation split) keep every word as it is.
 * - `clipNorm` 5, a standard safeguard against exploding LSTM gradients; `seed` 42.
 *
 * Even so, a network trained from scratch on a few hundred sentences predicts held-out text worse
 * than a Kneser-Ney 3-gram (see `served-model.ts`, which then serves the n-gram model).
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
  };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** `{ a: undefined }` in overrides means "no override", not "unset the default". */
function withoutUndefined(overrides: Partial<Hyperparameters>): Partial<Hyperparameters> {
  return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<Hyperparameters>;
}
