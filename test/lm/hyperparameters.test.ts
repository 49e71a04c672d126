import { describe, expect, it } from 'vitest';
import {
  defaultHyperparameters,
  EMBEDDING_DROPOUT_EPOCHS,
  LARGE_CORPUS_SAMPLED_SOFTMAX_SIZE,
  LARGE_CORPUS_SENTENCES,
  LARGE_CORPUS_TARGET_BUDGET,
  MIN_SENTENCES_FOR_VALIDATION,
  readHyperparameters,
  validateHyperparameters,
} from '../../src/lm/hyperparameters.ts';
import { StoredJsonError } from '../../src/json-fields.ts';

describe('defaultHyperparameters', () => {
  it('trains a tiny corpus whole-batch for many epochs, without validation', () => {
    const hp = defaultHyperparameters({ sentences: 3, tokens: 9, vocabularySize: 11 });
    expect(hp.batchSize).toBe(3);
    expect(hp.validationFraction).toBe(0);
    expect(hp.maxEpochs).toBeGreaterThanOrEqual(200);
    expect(hp.embeddingSize).toBeLessThan(hp.hiddenSize);
  });

  it('uses a 320-wide tied network, a sampled softmax, batches of 32 and early stopping for a large corpus', () => {
    const hp = defaultHyperparameters({ sentences: 20_000, tokens: 450_000, vocabularySize: 5000 });
    expect(hp).toMatchObject({ embeddingSize: 320, hiddenSize: 320, tiedWeights: true, batchSize: 32, learningRate: 0.004, validationFraction: 0.1, dropout: 0.3 });
    expect(hp.sampledSoftmaxSize).toBe(LARGE_CORPUS_SAMPLED_SOFTMAX_SIZE);
    expect(hp.maxEpochs).toBeGreaterThanOrEqual(5);
    expect(hp.maxEpochs).toBeLessThanOrEqual(20);
  });

  it('plans as many epochs as the target budget allows for a large corpus, at least one', () => {
    const epochs = (tokens: number) => defaultHyperparameters({ sentences: 100_000, tokens, vocabularySize: 5000 }).maxEpochs;
    expect(epochs(LARGE_CORPUS_TARGET_BUDGET / 2 - 100_000)).toBe(2);
    expect(epochs(10 * LARGE_CORPUS_TARGET_BUDGET)).toBe(1);
  });

  it('regularises a few hundred sentences with dropout, a lower learning rate and more patience', () => {
    const tiny = defaultHyperparameters({ sentences: MIN_SENTENCES_FOR_VALIDATION - 1, tokens: 4000, vocabularySize: 900 });
    const small = defaultHyperparameters({ sentences: 450, tokens: 9800, vocabularySize: 2350 });
    const large = defaultHyperparameters({ sentences: LARGE_CORPUS_SENTENCES, tokens: 45_000, vocabularySize: 5000 });
    expect(tiny).toMatchObject({ dropout: 0, learningRate: 0.01, patience: 2 });
    expect(small).toMatchObject({ dropout: 0.5, learningRate: 0.005, patience: 3, validationFraction: 0.1 });
    expect(large).toMatchObject({ dropout: 0.3, learningRate: 0.004, patience: 2 });
  });

  it('trains a large corpus on about the same number of targets whatever its size', () => {
    const targets = (sentences: number, tokens: number): number => {
      const hp = defaultHyperparameters({ sentences, tokens, vocabularySize: 5000 });
      return hp.maxEpochs * (tokens + sentences);
    };
    const english = targets(19_538, 443_270);
    const chinese = targets(16_073, 245_747);
    expect(english).toBeGreaterThanOrEqual(LARGE_CORPUS_TARGET_BUDGET);
    expect(chinese).toBeGreaterThanOrEqual(LARGE_CORPUS_TARGET_BUDGET);
    expect(Math.max(english, chinese)).toBeLessThan(1.2 * LARGE_CORPUS_TARGET_BUDGET);
  });

  it('holds out validation sentences only from the threshold on', () => {
    const below = defaultHyperparameters({ sentences: MIN_SENTENCES_FOR_VALIDATION - 1, tokens: 2000, vocabularySize: 300 });
    const at = defaultHyperparameters({ sentences: MIN_SENTENCES_FOR_VALIDATION, tokens: 2000, vocabularySize: 300 });
    expect(below.validationFraction).toBe(0);
    expect(at.validationFraction).toBeGreaterThan(0);
  });

  it('grows batches and sizes with the corpus, never shrinking', () => {
    const sizes = [10, 100, 1000, 10_000, 100_000].map((sentences) =>
      defaultHyperparameters({ sentences, tokens: sentences * 20, vocabularySize: Math.min(20_000, sentences * 5) }),
    );
    for (let i = 1; i < sizes.length; i++) {
      expect(sizes[i]?.batchSize).toBeGreaterThanOrEqual(sizes[i - 1]?.batchSize as number);
      expect(sizes[i]?.embeddingSize).toBeGreaterThanOrEqual(sizes[i - 1]?.embeddingSize as number);
      expect(sizes[i]?.hiddenSize).toBeGreaterThanOrEqual(sizes[i - 1]?.hiddenSize as number);
    }
  });

  it('drops embeddings of a large corpus only when its budget allows enough epochs to overfit', () => {
    const { from, full } = EMBEDDING_DROPOUT_EPOCHS;
    const withBudgetEpochs = (epochs: number) => {
      const sentences = 20_000;
      const tokens = Math.ceil(LARGE_CORPUS_TARGET_BUDGET / epochs) - sentences;
      return defaultHyperparameters({ sentences, tokens, vocabularySize: 5000 });
    };
    expect(withBudgetEpochs(from - 2)).toMatchObject({ maxEpochs: from - 2, embeddingDropout: 0 });
    expect(withBudgetEpochs(full + 3)).toMatchObject({ maxEpochs: full + 3, embeddingDropout: 0.3 });
    const between = withBudgetEpochs(Math.round((from + full) / 2)).embeddingDropout!;
    expect(between).toBeGreaterThan(0);
    expect(between).toBeLessThan(0.3);
    const small = defaultHyperparameters({ sentences: 450, tokens: 9800, vocabularySize: 2350 });
    expect(small.embeddingDropout).toBe(0);
  });

  it('widens the state beyond the reference only for a large corpus', () => {
    const below = defaultHyperparameters({ sentences: LARGE_CORPUS_SENTENCES - 1, tokens: 45_000, vocabularySize: 5000 });
    const at = defaultHyperparameters({ sentences: LARGE_CORPUS_SENTENCES, tokens: 45_000, vocabularySize: 5000 });
    const fewWords = defaultHyperparameters({ sentences: LARGE_CORPUS_SENTENCES, tokens: 45_000, vocabularySize: 1500 });
    expect(below.hiddenSize).toBe(128);
    expect(at.hiddenSize).toBe(320);
    expect(fewWords.hiddenSize).toBe(64);
    expect(below.sampledSoftmaxSize).toBeUndefined();
  });

  it('ties the output layer to the embedding from a large corpus on', () => {
    const small = defaultHyperparameters({ sentences: LARGE_CORPUS_SENTENCES - 1, tokens: 40_000, vocabularySize: 3000 });
    const large = defaultHyperparameters({ sentences: LARGE_CORPUS_SENTENCES, tokens: 40_000, vocabularySize: 3000 });
    expect(small).toMatchObject({ tiedWeights: false, embeddingSize: small.hiddenSize / 2 });
    expect(large).toMatchObject({ tiedWeights: true, embeddingSize: large.hiddenSize });
  });

  it('unties the layers when overrides give them different sizes, and refuses tying them then', () => {
    const corpus = { sentences: 20_000, tokens: 450_000, vocabularySize: 5000 };
    expect(defaultHyperparameters(corpus, { embeddingSize: 64 })).toMatchObject({ embeddingSize: 64, hiddenSize: 320, tiedWeights: false });
    expect(() => defaultHyperparameters(corpus, { embeddingSize: 64, tiedWeights: true })).toThrow(/tiedWeights/);
  });

  it('applies overrides last and ignores undefined ones', () => {
    const hp = defaultHyperparameters({ sentences: 3, tokens: 9, vocabularySize: 11 }, { hiddenSize: 5, seed: undefined });
    expect(hp.hiddenSize).toBe(5);
    expect(hp.seed).toBe(42);
  });

  it('rejects values out of range with the name of the field', () => {
    const base = defaultHyperparameters({ sentences: 3, tokens: 9, vocabularySize: 11 });
    expect(() => validateHyperparameters({ ...base, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => validateHyperparameters({ ...base, learningRate: -1 })).toThrow(/learningRate/);
    expect(() => validateHyperparameters({ ...base, dropout: 1 })).toThrow(/dropout/);
    expect(() => validateHyperparameters({ ...base, embeddingDropout: -0.1 })).toThrow(/embeddingDropout/);
    expect(() => validateHyperparameters({ ...base, contextLength: 1 })).toThrow(/contextLength/);
    expect(() => validateHyperparameters({ ...base, sampledSoftmaxSize: 0 })).toThrow(/sampledSoftmaxSize/);
    expect(() => defaultHyperparameters({ sentences: 3, tokens: 9, vocabularySize: 11 }, { embeddingSize: 2.5 })).toThrow(/embeddingSize/);
  });
});

describe('readHyperparameters', () => {
  const stored = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

  it('reads back the hyperparameters a model is stored with, small corpus and large', () => {
    for (const corpus of [
      { sentences: 3, tokens: 9, vocabularySize: 11 },
      { sentences: LARGE_CORPUS_SENTENCES, tokens: 40_000, vocabularySize: 5000 },
    ]) {
      const hp = defaultHyperparameters(corpus);
      expect(readHyperparameters(stored(hp))).toEqual(hp);
    }
  });

  it("reads the first models' hyperparameters, the options added since left absent", () => {
    const first = { embeddingSize: 16, hiddenSize: 32, learningRate: 0.01, batchSize: 3, maxEpochs: 300, contextLength: 32, validationFraction: 0, patience: 2, seed: 42, dropout: 0, clipNorm: 5 };
    const hp = readHyperparameters(stored(first));
    expect(hp).toEqual(first);
    expect(Object.keys(hp)).not.toContain('tiedWeights');
  });

  it('refuses a missing or mistyped field, naming it', () => {
    const hp = defaultHyperparameters({ sentences: 3, tokens: 9, vocabularySize: 11 });
    expect(() => readHyperparameters(stored({ ...hp, hiddenSize: '32' }))).toThrow(new StoredJsonError('hyperparameters.hiddenSize must be a number, got "32"'));
    expect(() => readHyperparameters(stored({ ...hp, seed: undefined }))).toThrow(new StoredJsonError('hyperparameters.seed must be a number, got nothing'));
    expect(() => readHyperparameters(stored({ ...hp, tiedWeights: 1 }))).toThrow(new StoredJsonError('hyperparameters.tiedWeights must be a boolean, got 1'));
    expect(() => readHyperparameters(null)).toThrow(new StoredJsonError('hyperparameters must be an object, got null'));
  });
});
