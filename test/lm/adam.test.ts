import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lm/backend.ts';
import { AdamOptimizer } from '../../src/lm/engine/adam.ts';
import type { NetworkGradients, NetworkWeights } from '../../src/lm/engine/network-weights.ts';
import { Random } from '../../src/lm/random.ts';

const SHAPES: Record<keyof NetworkWeights, number[]> = {
  embedding: [7, 3],
  kernel: [3, 8],
  recurrentKernel: [2, 8],
  bias: [8],
  output: [3, 7],
};
const KEYS = Object.keys(SHAPES) as (keyof NetworkWeights)[];

function makeWeights(random: Random, prefix: string): NetworkWeights {
  return Object.fromEntries(
    KEYS.map((key) => {
      const shape = SHAPES[key];
      const size = shape.reduce((a, b) => a * b, 1);
      return [key, tf.variable(tf.tensor(random.normalArray(size), shape), true, `${prefix}/${key}`)];
    }),
  ) as unknown as NetworkWeights;
}

describe('AdamOptimizer', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each(['wasm', 'cpu'] as const)('updates weights like tf.train.adam (%s)', async (backend) => {
    await initBackend(backend);
    const ours = makeWeights(new Random(1), `ours-${backend}`);
    const reference = makeWeights(new Random(1), `reference-${backend}`);
    const initial = KEYS.map((key) => Float32Array.from(ours[key].dataSync()));
    const tensorsBefore = tf.memory().numTensors;
    const optimizer = new AdamOptimizer(0.01);
    const tfAdam = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
    const random = new Random(2);
    for (let step = 0; step < 5; step++) {
      const gradients = Object.fromEntries(KEYS.map((key) => [key, tf.tensor(random.normalArray(ours[key].size), SHAPES[key])])) as NetworkGradients;
      // A scale of 0.5 must equal halved gradients.
      optimizer.step(ours, gradients, 0.5);
      tf.tidy(() => tfAdam.applyGradients(Object.fromEntries(KEYS.map((key) => [reference[key].name, tf.mul(gradients[key], 0.5)]))));
      tf.dispose(Object.values(gradients));
    }
    KEYS.forEach((key, k) => {
      const a = ours[key].dataSync();
      const b = reference[key].dataSync();
      // Five steps of 0.01 move every weight visibly.
      expect(a.every((v, i) => Math.abs(v - (initial[k]?.[i] as number)) > 1e-3)).toBe(true);
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i] as number, 5));
    });
    tfAdam.dispose();
    // The moments held in the backend's memory go with the optimizer.
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    tf.dispose([...Object.values(ours), ...Object.values(reference)]);
    await initBackend('wasm');
  });
});
