import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lm/backend.ts';
import { defaultHyperparameters, validateHyperparameters, type Hyperparameters } from '../../src/lm/hyperparameters.ts';
import { growVocabulary, LstmLanguageModel } from '../../src/lm/model.ts';
import { Random } from '../../src/lm/random.ts';
import { makeBatch, sentenceToSequences, type TrainingBatch } from '../../src/lm/engine/batches.ts';
import type { WeightValues } from '../../src/lm/engine/network-weights.ts';
import { tieGradients } from '../../src/lm/engine/tied-weights.ts';
import { lossAndGradients } from '../../src/lm/engine/training-step.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';

const VOCAB = 17;
const NO_DROPOUT = { embedding: 0, output: 0 };
const HALF_DROPOUT = { embedding: 0.5, output: 0.5 };
const SENTENCES = [[4, 5, 6, 7, 8, 9], [10, 11], [12, 13, 14, 15, 16]];

function tinyHyperparameters(overrides: Partial<Hyperparameters>): Hyperparameters {
  return { ...defaultHyperparameters({ sentences: 3, tokens: 13, vocabularySize: VOCAB }), embeddingSize: 6, hiddenSize: 6, seed: 3, ...overrides };
}

function batchOf(sentences: number[][]): TrainingBatch {
  return makeBatch(sentences.flatMap((s) => sentenceToSequences(s, 5)));
}

/** The output kernel (all rows but the bias row) read back as [vocabulary, width]. */
function outputKernelTransposed(values: WeightValues, vocabSize: number, width: number): Float32Array {
  return Float32Array.from({ length: vocabSize * width }, (_, k) => values.output[(k % width) * vocabSize + Math.floor(k / width)] as number);
}

/**
 * Checks `gradient` of a loss along a random direction against central finite differences.
 * `lossAt(values)` must be a deterministic function of the weights.
 */
function expectDirectionalDerivative(
  lossAt: (values: WeightValues) => number,
  base: WeightValues,
  key: keyof WeightValues,
  gradient: Float32Array,
  perturb: (values: WeightValues, key: keyof WeightValues, delta: Float32Array) => WeightValues,
): void {
  const direction = new Random(7).uniformArray(gradient.length, -1, 1);
  const epsilon = 1e-2;
  const plus = lossAt(perturb(base, key, direction.map((d) => d * epsilon)));
  const minus = lossAt(perturb(base, key, direction.map((d) => -d * epsilon)));
  const numeric = (plus - minus) / (2 * epsilon);
  const analytic = gradient.reduce((sum, g, i) => sum + g * (direction[i] as number), 0);
  expect(Math.abs(analytic), key).toBeGreaterThan(1e-4);
  expect(Math.abs(numeric - analytic) / Math.abs(analytic), key).toBeLessThan(0.02);
}

function shifted(values: WeightValues, key: keyof WeightValues, delta: Float32Array): WeightValues {
  return { ...values, [key]: values[key].map((v, i) => v + (delta[i] as number)) };
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('dropout on the non-recurrent connections', () => {
  it('has gradients that match finite differences of the same masked loss', () => {
    const hp = tinyHyperparameters({});
    const model = LstmLanguageModel.create(VOCAB, hp);
    const batch = batchOf(SENTENCES);
    const base = model.weightValues();
    // The same seed draws the same masks, so the dropped-out loss is a function of the weights.
    const lossAt = (values: WeightValues): number => {
      model.setWeightValues(values);
      const { loss, gradients } = lossAndGradients(model.weights, batch, HALF_DROPOUT, new Random(1));
      tf.dispose(Object.values(gradients));
      return loss;
    };
    model.setWeightValues(base);
    const { gradients } = lossAndGradients(model.weights, batch, HALF_DROPOUT, new Random(1));
    for (const key of ['embedding', 'kernel', 'output'] as const) {
      expectDirectionalDerivative(lossAt, base, key, gradients[key].dataSync() as Float32Array, shifted);
    }
    tf.dispose(Object.values(gradients));
    model.dispose();
  });

  it('drops embedding values: with dropout, unused embedding rows still get no gradient', () => {
    const model = LstmLanguageModel.create(VOCAB, tinyHyperparameters({}));
    const { gradients } = lossAndGradients(model.weights, batchOf([[4, 5, 6]]), HALF_DROPOUT, new Random(2));
    const embedding = gradients.embedding.dataSync();
    const rowNorm = (id: number): number => Math.hypot(...Array.from(embedding.subarray(id * 6, (id + 1) * 6)));
    expect(rowNorm(12)).toBe(0);
    // Half the values of an input row are dropped on average: some, but not all, are zero.
    const inputRow = Array.from(embedding.subarray(5 * 6, 6 * 6));
    expect(inputRow.some((g) => g === 0) && inputRow.some((g) => g !== 0)).toBe(true);
    tf.dispose(Object.values(gradients));
    model.dispose();
  });

  it('leaves embedding values whole when only the outputs are dropped', () => {
    const model = LstmLanguageModel.create(VOCAB, tinyHyperparameters({}));
    const { gradients } = lossAndGradients(model.weights, batchOf([[4, 5, 6]]), { embedding: 0, output: 0.5 }, new Random(2));
    const inputRow = Array.from(gradients.embedding.dataSync().subarray(5 * 6, 6 * 6));
    expect(inputRow.every((g) => g !== 0)).toBe(true);
    tf.dispose(Object.values(gradients));
    model.dispose();
  });
});

describe('tied weights', () => {
  const tied = tinyHyperparameters({ tiedWeights: true });

  it('need equal embedding and hidden sizes', () => {
    expect(() => validateHyperparameters({ ...tied, hiddenSize: 8 })).toThrow(/tiedWeights/);
  });

  it('start with the output kernel equal to the transposed embedding, also after the vocabulary grows', () => {
    const model = LstmLanguageModel.create(VOCAB, tied);
    const values = model.weightValues();
    expect(outputKernelTransposed(values, VOCAB, 6)).toEqual(values.embedding);
    const grown = growVocabulary(model, VOCAB + 4);
    const grownValues = grown.weightValues();
    expect(outputKernelTransposed(grownValues, VOCAB + 4, 6)).toEqual(grownValues.embedding);
    expect(grownValues.embedding.subarray(0, VOCAB * 6)).toEqual(values.embedding);
    model.dispose();
    grown.dispose();
  });

  it('have the gradient of the tied network, checked by finite differences', () => {
    const model = LstmLanguageModel.create(VOCAB, tied);
    const batch = batchOf(SENTENCES);
    const base = model.weightValues();
    const lossAt = (values: WeightValues): number => {
      model.setWeightValues(values);
      const { loss, gradients } = lossAndGradients(model.weights, batch, NO_DROPOUT, new Random(1));
      tf.dispose(Object.values(gradients));
      return loss;
    };
    // Moving the shared matrix moves the embedding and the output kernel together.
    const shiftedTied = (values: WeightValues, key: keyof WeightValues, delta: Float32Array): WeightValues => {
      const next = shifted(values, key, delta);
      const output = Float32Array.from(values.output);
      next.embedding.forEach((v, k) => (output[(k % 6) * VOCAB + Math.floor(k / 6)] = v));
      return { ...next, output };
    };
    model.setWeightValues(base);
    const untied = lossAndGradients(model.weights, batch, NO_DROPOUT, new Random(1));
    const gradients = tieGradients(model.weights, untied.gradients);
    expectDirectionalDerivative(lossAt, base, 'embedding', gradients.embedding.dataSync() as Float32Array, shiftedTied);
    tf.dispose(Object.values(gradients));
    model.dispose();
  });

  it('stay tied through training, and training still learns', async () => {
    const { model, history } = await trainLanguageModel({ train: SENTENCES, validation: [] }, VOCAB, { ...tied, maxEpochs: 150 });
    const values = model.weightValues();
    expect(outputKernelTransposed(values, VOCAB, 6)).toEqual(values.embedding);
    expect(history.at(-1)?.trainLoss).toBeLessThan(0.5 * (history[0]?.trainLoss as number));
    model.dispose();
  });
});
