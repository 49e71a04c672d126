import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lm/backend.ts';
import { defaultHyperparameters } from '../../src/lm/hyperparameters.ts';
import { growVocabulary, LstmLanguageModel } from '../../src/lm/model.ts';
import { ModelFormatError, type SerializedModel } from '../../src/lm/model-format.ts';
import { BOS } from '../../src/lm/special-tokens.ts';

const VOCAB = 23;
const hp = defaultHyperparameters({ sentences: 10, tokens: 50, vocabularySize: VOCAB }, { embeddingSize: 6, hiddenSize: 7, seed: 3 });

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe('LstmLanguageModel', () => {
  let model: LstmLanguageModel;

  beforeAll(async () => {
    await initBackend('wasm');
    model = LstmLanguageModel.create(VOCAB, hp);
  });

  afterAll(() => model.dispose());

  it('gives a probability distribution over the whole vocabulary', () => {
    const distribution = model.nextDistribution([BOS, 5, 9]);
    expect(distribution).toHaveLength(VOCAB);
    expect(distribution.every((p) => p > 0 && p < 1)).toBe(true);
    expect(distribution.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('initialises the same weights from the same seed and different ones from another seed', () => {
    const twin = LstmLanguageModel.create(VOCAB, hp);
    const other = LstmLanguageModel.create(VOCAB, { ...hp, seed: 4 });
    expect(maxDifference(twin.nextDistribution([BOS, 7]), model.nextDistribution([BOS, 7]))).toBe(0);
    expect(maxDifference(other.nextDistribution([BOS, 7]), model.nextDistribution([BOS, 7]))).toBeGreaterThan(1e-4);
    twin.dispose();
    other.dispose();
  });

  it('predicts the same for a context alone and inside a batch of unequal contexts', () => {
    const contexts = [[BOS, 4], [BOS, 8, 9, 10, 11], [BOS, 12, 13]];
    const batched = model.nextDistributions(contexts);
    contexts.forEach((context, i) => {
      expect(maxDifference(batched[i] as Float32Array, model.nextDistribution(context))).toBeLessThan(1e-6);
    });
  });

  it('gives per-position distributions equal to those of each prefix', () => {
    const ids = [BOS, 5, 6, 7, 8];
    const perPosition = model.sequenceDistributions(ids);
    expect(perPosition).toHaveLength(ids.length);
    ids.forEach((_, t) => {
      expect(maxDifference(perPosition[t] as Float32Array, model.nextDistribution(ids.slice(0, t + 1)))).toBeLessThan(1e-6);
    });
  });

  it('agrees with its differentiable tf-ops forward pass on hidden states and probabilities', () => {
    const ids = [BOS, 14, 3, 9];
    const states = model.hiddenStates(ids);
    const { hidden, probabilities } = tf.tidy(() => {
      const out = model.forwardFromEmbeddings(tf.expandDims(model.embed(ids), 0) as tf.Tensor3D);
      return { hidden: out.hidden.dataSync(), probabilities: tf.softmax(out.logits).dataSync() };
    });
    const H = model.hiddenSize;
    states.hidden.forEach((h, t) => expect(maxDifference(h, hidden.subarray(t * H, (t + 1) * H))).toBeLessThan(1e-5));
    const last = probabilities.subarray((ids.length - 1) * VOCAB, ids.length * VOCAB);
    expect(maxDifference(model.nextDistribution(ids), last)).toBeLessThan(1e-5);
  });

  it('computes input gradients that match finite differences', () => {
    const context = [BOS, 10, 11];
    const target = 12;
    const { logProbability, gradients, embeddings } = model.inputGradients(context, target);
    expect(Math.log(model.nextDistribution(context)[target] as number)).toBeCloseTo(logProbability, 4);
    // Nudge one embedding coordinate of the middle position and compare the change.
    const epsilon = 1e-2;
    const shifted = (delta: number): number =>
      tf.tidy(() => {
        const embedded = model.embed(context).bufferSync();
        embedded.set((embeddings[1]?.[2] as number) + delta, 1, 2);
        const { logits } = model.forwardFromEmbeddings(tf.expandDims(embedded.toTensor(), 0) as tf.Tensor3D);
        return tf.logSoftmax(logits).dataSync()[(context.length - 1) * VOCAB + target] as number;
      });
    const numeric = (shifted(epsilon) - shifted(-epsilon)) / (2 * epsilon);
    expect(gradients).toHaveLength(context.length);
    expect(gradients[1]?.[2]).toBeCloseTo(numeric, 3);
  });

  it('does not leak tensors across predictions', () => {
    model.nextDistribution([BOS, 4]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      model.nextDistribution([BOS, 4, i % VOCAB]);
      model.nextDistributions([[BOS], [BOS, 6, 7]]);
      model.sequenceDistributions([BOS, 8, 9]);
      model.hiddenStates([BOS, 8]);
      model.inputGradients([BOS, 8], 9);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses ids outside the vocabulary and empty contexts', () => {
    expect(() => model.nextDistribution([BOS, VOCAB])).toThrow(RangeError);
    expect(() => model.nextDistribution([BOS, 1.5])).toThrow(RangeError);
    expect(() => model.nextDistribution([])).toThrow(RangeError);
  });

  describe('serialization', () => {
    let serialized: SerializedModel;

    beforeAll(async () => {
      serialized = await model.serialize();
    });

    it('round-trips to identical predictions', async () => {
      const loaded = await LstmLanguageModel.deserialize(serialized, hp);
      for (const context of [[BOS], [BOS, 4, 5], [BOS, 20, 21, 22, 4]]) {
        expect(maxDifference(loaded.nextDistribution(context), model.nextDistribution(context))).toBe(0);
      }
      expect(loaded.hyperparameters).toEqual(hp);
      loaded.dispose();
    });

    it('is an ordinary tf.layers model that predicts the same distributions', async () => {
      const layers = await tf.loadLayersModel(tf.io.fromMemory(serialized));
      const context = [BOS, 15, 16, 17];
      const predicted = tf.tidy(() => (layers.predict(tf.tensor2d([context], [1, context.length])) as tf.Tensor).dataSync());
      const last = predicted.subarray((context.length - 1) * VOCAB);
      expect(maxDifference(last, model.nextDistribution(context))).toBeLessThan(1e-5);
      layers.dispose();
    });

    it('throws ModelFormatError on corrupt or mismatched payloads', async () => {
      const before = tf.memory().numTensors;
      const corrupt: SerializedModel[] = [
        { ...serialized, weightData: serialized.weightData.slice(0, 100) },
        { ...serialized, modelTopology: { class_name: 'Sequential', config: { layers: 'nonsense' } } },
        { ...serialized, modelTopology: { garbage: true } },
        { ...serialized, weightSpecs: serialized.weightSpecs.slice(1) },
        { ...serialized, weightData: 'not bytes' as unknown as ArrayBuffer },
        null as unknown as SerializedModel,
      ];
      for (const payload of corrupt) {
        await expect(LstmLanguageModel.deserialize(payload, hp)).rejects.toThrow(ModelFormatError);
      }
      await expect(LstmLanguageModel.deserialize(serialized, { ...hp, hiddenSize: 8 })).rejects.toThrow(/H=7/);
      // A valid tf.layers model of another architecture is refused too.
      const other = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] })] });
      let artifacts: tf.io.ModelArtifacts | undefined;
      await other.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
      other.dispose();
      const foreign = artifacts as tf.io.ModelArtifacts;
      await expect(
        LstmLanguageModel.deserialize({ modelTopology: foreign.modelTopology as object, weightSpecs: foreign.weightSpecs ?? [], weightData: foreign.weightData as ArrayBuffer }, hp),
      ).rejects.toThrow(ModelFormatError);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it('grows the vocabulary keeping what old ids learned', () => {
    const grown = growVocabulary(model, VOCAB + 5);
    expect(grown.vocabSize).toBe(VOCAB + 5);
    const before = model.weightValues();
    const after = grown.weightValues();
    expect(maxDifference(after.embedding.subarray(0, before.embedding.length), before.embedding)).toBe(0);
    expect(maxDifference(after.kernel, before.kernel)).toBe(0);
    const H = model.hiddenSize;
    for (let row = 0; row <= H; row++) {
      const oldRow = before.output.subarray(row * VOCAB, (row + 1) * VOCAB);
      const newRow = after.output.subarray(row * (VOCAB + 5), row * (VOCAB + 5) + VOCAB);
      expect(maxDifference(newRow, oldRow)).toBe(0);
    }
    // New rows are initialised, not zero.
    expect(after.embedding.subarray(before.embedding.length).some((v) => v !== 0)).toBe(true);
    expect(grown.nextDistribution([BOS, VOCAB + 4])).toHaveLength(VOCAB + 5);
    grown.dispose();
  });
});
