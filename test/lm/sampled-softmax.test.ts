import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lm/backend.ts';
import { defaultHyperparameters } from '../../src/lm/hyperparameters.ts';
import { Random } from '../../src/lm/random.ts';
import { CandidateSampler, outputLayerGradients, type SampledCandidates } from '../../src/lm/engine/sampled-softmax.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';
import { seededSplit } from '../support/seeded-split.ts';

const WIDTH = 5;
const VOCAB = 12;

/** A small output layer and its inputs, as plain arrays and tensors. */
function layer(seed: number, rows: number) {
  const random = new Random(seed);
  const output = random.normalArray(WIDTH * VOCAB, 0, 0.8);
  const inputs = random.normalArray(rows * WIDTH);
  for (let row = 0; row < rows; row++) inputs[row * WIDTH + WIDTH - 1] = 1; // the bias input
  const targets = Int32Array.from({ length: rows }, () => random.int(VOCAB));
  return { output, inputs, targets };
}

/**
 * The sampled loss written out directly, in float64: each row's target against the sampled ids
 * other than itself, every logit lowered by its log expected count.
 */
function referenceLoss(output: ArrayLike<number>, inputs: ArrayLike<number>, targets: Int32Array, candidates: SampledCandidates): number {
  const logit = (row: number, id: number): number => {
    let sum = 0;
    for (let j = 0; j < WIDTH; j++) sum += (inputs[row * WIDTH + j] as number) * (output[j * VOCAB + id] as number);
    return sum - (candidates.logExpectedCounts[id] as number);
  };
  let loss = 0;
  targets.forEach((target, row) => {
    const competing = [...candidates.ids].filter((id) => id !== target).map((id) => logit(row, id));
    const own = logit(row, target);
    const max = Math.max(own, ...competing);
    const sum = [own, ...competing].reduce((total, z) => total + Math.exp(z - max), 0);
    loss += max + Math.log(sum) - own;
  });
  return loss;
}

function run(output: Float32Array, inputs: Float32Array, targets: Int32Array, candidates?: SampledCandidates) {
  const outputTensor = tf.tensor2d(output, [WIDTH, VOCAB]);
  const inputsTensor = tf.tensor2d(inputs, [targets.length, WIDTH]);
  const result = outputLayerGradients(outputTensor, inputsTensor, targets, candidates);
  const values = {
    lossSum: result.lossSum,
    output: Float64Array.from(result.output.dataSync()),
    inputs: Float64Array.from(result.inputs.dataSync()),
  };
  tf.dispose([outputTensor, inputsTensor, result.output, result.inputs]);
  return values;
}

describe('sampled softmax', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('gives the loss of each target against the sample, and its exact gradients', () => {
    const { output, inputs, targets } = layer(1, 6);
    const logExpectedCounts = new Random(2).uniformArray(VOCAB, -2, 0);
    // Ids 3 and 7 are targets of some rows too: those rows must not compete with themselves.
    const candidates = { ids: Int32Array.from([3, 7, 0, 10]), logExpectedCounts };
    targets[0] = 3;
    targets[1] = 7;
    const result = run(output, inputs, targets, candidates);
    expect(result.lossSum).toBeCloseTo(referenceLoss(output, inputs, targets, candidates), 4);

    const h = 1e-3;
    const numeric = (values: Float32Array, at: number): number => {
      const up = Float64Array.from(values);
      const down = Float64Array.from(values);
      up[at] = (up[at] as number) + h;
      down[at] = (down[at] as number) - h;
      const [upLoss, downLoss] =
        values === output
          ? [referenceLoss(up, inputs, targets, candidates), referenceLoss(down, inputs, targets, candidates)]
          : [referenceLoss(output, up, targets, candidates), referenceLoss(output, down, targets, candidates)];
      return (upLoss - downLoss) / (2 * h);
    };
    output.forEach((_, at) => expect(result.output[at], `output ${at}`).toBeCloseTo(numeric(output, at), 3));
    inputs.forEach((_, at) => expect(result.inputs[at], `inputs ${at}`).toBeCloseTo(numeric(inputs, at), 3));
    // Ids neither sampled nor a target get no gradient at all.
    for (let j = 0; j < WIDTH; j++) {
      for (const id of [1, 2, 4, 5, 6, 8, 9, 11].filter((id) => !targets.includes(id))) expect(result.output[j * VOCAB + id]).toBe(0);
    }
  });

  it('equals the full softmax when the sample is the whole vocabulary, each id surely drawn', () => {
    const { output, inputs, targets } = layer(3, 7);
    const everyId = { ids: Int32Array.from({ length: VOCAB }, (_, id) => id), logExpectedCounts: new Float32Array(VOCAB) };
    const sampled = run(output, inputs, targets, everyId);
    const full = run(output, inputs, targets);
    expect(sampled.lossSum).toBeCloseTo(full.lossSum, 4);
    sampled.output.forEach((value, at) => expect(value).toBeCloseTo(full.output[at] as number, 5));
    sampled.inputs.forEach((value, at) => expect(value).toBeCloseTo(full.inputs[at] as number, 5));
  });

  it('samples distinct ids, reproducibly, with the expected count of each id', () => {
    // A Zipf-like vocabulary of 200 ids.
    const counts = Float64Array.from({ length: 200 }, (_, id) => Math.floor(2000 / (id + 1)));
    const sampler = new CandidateSampler(counts, 40);
    const first = sampler.draw(new Random(5));
    expect(new Set(first.ids).size).toBe(40);
    expect([...sampler.draw(new Random(5)).ids]).toEqual([...first.ids]);

    const draws = 3000;
    const included = new Float64Array(200);
    const expected = new Float64Array(200);
    const random = new Random(6);
    for (let d = 0; d < draws; d++) {
      const { ids, logExpectedCounts } = sampler.draw(random);
      for (const id of ids) included[id] = (included[id] as number) + 1 / draws;
      logExpectedCounts.forEach((logCount, id) => (expected[id] = (expected[id] as number) + Math.exp(logCount) / draws));
    }
    expect(included[0]).toBeCloseTo(1, 9); // the most frequent id is in every sample
    expect(Math.exp(first.logExpectedCounts[0] as number)).toBeCloseTo(1, 3);
    included.forEach((share, id) => expect(Math.abs(share - (expected[id] as number)), `id ${id}`).toBeLessThan(0.04));
  });

  it('rejects a sample as large as the vocabulary', () => {
    expect(() => new CandidateSampler(new Float64Array(10), 10)).toThrow(RangeError);
  });

  it('trains a model whose full-softmax validation loss falls like the full softmax', async () => {
    const vocab = 60;
    const random = new Random(7);
    // Sentences that follow a fixed successor table with some noise: learnable structure.
    const next = Int32Array.from({ length: vocab }, () => 4 + random.int(vocab - 4));
    const sentences = Array.from({ length: 300 }, () => {
      const sentence = [4 + random.int(vocab - 4)];
      while (sentence.length < 8) sentence.push(random.next() < 0.8 ? (next[sentence.at(-1) as number] as number) : 4 + random.int(vocab - 4));
      return sentence;
    });
    const hp = defaultHyperparameters({ sentences: 300, tokens: 2400, vocabularySize: vocab }, { maxEpochs: 15, patience: 15 });
    const data = seededSplit(sentences, hp.validationFraction, hp.seed);
    const full = await trainLanguageModel(data, vocab, hp);
    const sampled = await trainLanguageModel(data, vocab, { ...hp, sampledSoftmaxSize: 12 });
    const validation = (result: typeof full): number => result.history.at(-1)?.validationLoss as number;
    expect(validation(sampled)).toBeLessThan(Math.log(vocab) * 0.5);
    expect(validation(sampled)).toBeLessThan(validation(full) * 1.2);
    // A "sample" of half the vocabulary or more is the full softmax, step for step.
    const half = await trainLanguageModel(data, vocab, { ...hp, sampledSoftmaxSize: vocab / 2 });
    expect(half.history.map((m) => m.trainLoss)).toEqual(full.history.map((m) => m.trainLoss));
    [full, sampled, half].forEach((result) => result.model.dispose());
  });
});
