import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lm/backend.ts';
import { defaultHyperparameters } from '../../src/lm/hyperparameters.ts';
import { LstmLanguageModel } from '../../src/lm/model.ts';
import { Random } from '../../src/lm/random.ts';
import { makeBatch, sentenceToSequences } from '../../src/lm/engine/batches.ts';
import { ParallelGradients } from '../../src/lm/engine/parallel-gradients.ts';
import { CandidateSampler } from '../../src/lm/engine/sampled-softmax.ts';
import { lossAndGradients } from '../../src/lm/engine/training-step.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';
import { TrainingAbortedError } from '../../src/lm/training-types.ts';
import { seededSplit } from '../support/seeded-split.ts';

const VOCAB = 30;
const NO_DROPOUT = { embedding: 0, output: 0 };

function corpus(sentences: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: sentences }, () => Array.from({ length: 2 + random.int(9) }, () => 4 + random.int(VOCAB - 4)));
}

describe('data-parallel gradients', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each([
    ['the full softmax', undefined],
    ['a sampled softmax', new CandidateSampler(new Float64Array(VOCAB).fill(3), 9).draw(new Random(4))],
  ])('equal the gradients of the whole batch on one thread, with %s', async (_, candidates) => {
    const hp = defaultHyperparameters({ sentences: 50, tokens: 300, vocabularySize: VOCAB }, { embeddingSize: 8, hiddenSize: 12 });
    const model = LstmLanguageModel.create(VOCAB, hp);
    const sequences = corpus(13, 1).flatMap((s) => sentenceToSequences(s, 8));
    const shape = { vocabSize: VOCAB, embeddingSize: 8, hiddenSize: 12 };
    const pool = await ParallelGradients.start(shape, 2, 'wasm');
    try {
      const whole = lossAndGradients(model.weights, makeBatch(sequences), NO_DROPOUT, new Random(1), candidates);
      const split = await pool.lossAndGradients(model.weights, sequences, NO_DROPOUT, new Random(1), candidates);
      expect(split.targetCount).toBe(whole.targetCount);
      expect(split.loss).toBeCloseTo(whole.loss, 5);
      for (const key of Object.keys(whole.gradients) as (keyof typeof whole.gradients)[]) {
        const expected = whole.gradients[key].dataSync() as Float32Array;
        const actual = split.gradients[key].dataSync() as Float32Array;
        const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale, key).toBeGreaterThan(0);
        actual.forEach((v, i) => expect(Math.abs(v - (expected[i] as number)) / scale, key).toBeLessThan(1e-5));
      }
      tf.dispose([...Object.values(whole.gradients), ...Object.values(split.gradients)]);
    } finally {
      await pool.dispose();
      model.dispose();
    }
  });

  it('train like one thread, and stop cleanly on abort', async () => {
    const sentences = corpus(220, 2);
    const hp = defaultHyperparameters({ sentences: 220, tokens: 1300, vocabularySize: VOCAB }, { maxEpochs: 2, embeddingSize: 8, hiddenSize: 12, dropout: 0, embeddingDropout: 0 });
    // Without dropout the split changes only the order of float sums (workers draw their own masks).
    const data = seededSplit(sentences, hp.validationFraction, hp.seed);
    const single = await trainLanguageModel(data, VOCAB, hp);
    const parallel = await trainLanguageModel(data, VOCAB, hp, { threads: 2 });
    parallel.history.forEach((metrics, i) => {
      expect(metrics.trainLoss).toBeCloseTo(single.history[i]?.trainLoss as number, 4);
      expect(metrics.validationLoss).toBeCloseTo(single.history[i]?.validationLoss as number, 4);
    });
    single.model.dispose();
    parallel.model.dispose();

    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const aborted = trainLanguageModel(data, VOCAB, { ...hp, maxEpochs: 100 }, {
      threads: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.batch === 2) controller.abort();
      },
    });
    await expect(aborted).rejects.toThrow(TrainingAbortedError);
    expect(tf.memory().numTensors).toBe(before);
  });
});
