import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lm/backend.ts';
import { Random } from '../../src/lm/random.ts';
import { makeBatch, sentenceToSequences } from '../../src/lm/engine/batches.ts';
import { backpropLstm } from '../../src/lm/engine/lstm-backward.ts';
import { runLstm } from '../../src/lm/engine/lstm-forward.ts';
import { createWeights, WEIGHT_KEYS, weightShapes, type NetworkShape, type WeightValues } from '../../src/lm/engine/network-weights.ts';
import { activeSimdKernels } from '../../src/lm/engine/simd-kernels.ts';
import { readView } from '../../src/lm/engine/tensor-memory.ts';

/** C = op(A) op(B) by the textbook triple loop, in float64. */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (a[transposeA ? p * m + i : i * k + p] as number) * (b[transposeB ? j * k + p : p * n + j] as number);
      c[i * n + j] = sum;
    }
  }
  return c;
}

describe('SIMD matrix products on the wasm backend', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  // Shapes cover full 4 x 8 tiles, every kind of edge (rows, 4-wide and scalar columns, inner
  // sizes not a multiple of 4), one-row products (prediction) and an inner size above the
  // `tn` kernel's block of 128 rows, whose blocks accumulate.
  const shapes: [number, number, number][] = [[1, 1, 1], [1, 7, 5], [3, 5, 7], [4, 8, 8], [5, 9, 13], [17, 33, 70], [9, 300, 12], [2, 129, 250]];
  const layouts: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

  it.each(shapes)('match the textbook product for [%i x %i] x [%i x .] in every layout', (m, k, n) => {
    const random = new Random(m * 1000 + k * 10 + n);
    for (const [transposeA, transposeB] of layouts) {
      const aValues = random.uniformArray(m * k, -1, 1);
      const bValues = random.uniformArray(k * n, -1, 1);
      const a = tf.tensor2d(aValues, transposeA ? [k, m] : [m, k]);
      const b = tf.tensor2d(bValues, transposeB ? [n, k] : [k, n]);
      const product = tf.matMul(a, b, transposeA, transposeB);
      expect(product.shape).toEqual([m, n]);
      const actual = product.dataSync();
      const expected = reference(aValues, bValues, m, k, n, transposeA, transposeB);
      expected.forEach((value, i) => expect(Math.abs((actual[i] as number) - value), `${transposeA} ${transposeB} at ${i}`).toBeLessThan(1e-5 * (1 + k)));
      tf.dispose([a, b, product]);
    }
  });

  it('write a fresh output every time and leak no tensors', () => {
    const before = tf.memory().numTensors;
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const first = tf.matMul(a, a, true, false);
    const second = tf.matMul(a, a, true, false);
    expect(Array.from(first.dataSync())).toEqual([10, 14, 14, 20]);
    expect(Array.from(second.dataSync())).toEqual([10, 14, 14, 20]);
    tf.dispose([a, first, second]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('SIMD activations of the LSTM', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('compute exp within 1e-6 of Math.exp over the range they accept, and clamp outside it', () => {
    const { kernels, address } = activeSimdKernels()!;
    // An odd count, so that the scalar tail runs too.
    const inputs = Float32Array.from({ length: 100_001 }, (_, i) => -86 + (174 * i) / 100_000);
    const values = tf.tensor1d([...inputs, -200, 200]);
    kernels.exp(address(values), inputs.length + 2);
    const results = readView(values);
    let worst = 0;
    inputs.forEach((x, i) => (worst = Math.max(worst, Math.abs((results[i] as number) - Math.exp(x)) / Math.exp(x))));
    expect(worst).toBeLessThan(1e-6);
    // Beyond the range the input is clamped to its ends: finite, never 0 or Infinity.
    expect(Math.abs((results[inputs.length] as number) / Math.exp(-86) - 1)).toBeLessThan(1e-6);
    expect(Math.abs((results[inputs.length + 1] as number) / Math.exp(88) - 1)).toBeLessThan(1e-6);
    values.dispose();
  });

  /** Runs one forward and backward pass of the LSTM on `backend` and returns what it computed. */
  const lstmPass = async (backend: 'wasm' | 'cpu', shape: NetworkShape, values: WeightValues) => {
    await initBackend(backend);
    const weights = createWeights(shape, values);
    // Sentences of different lengths: the running rows shrink step by step.
    const batch = makeBatch([[4, 5, 6, 7, 8, 9, 10], [11, 12], [13, 14, 15, 16], [5]].flatMap((s) => sentenceToSequences(s, 8)));
    const trace = runLstm(weights, batch, true);
    const hiddenGradient = new Random(3).uniformArray(trace.hidden.length, -1, 1);
    const gradients = backpropLstm(weights, trace, batch, hiddenGradient);
    const result = {
      hidden: [...trace.running].flatMap((p) => [...trace.hidden.subarray(p * shape.hiddenSize, (p + 1) * shape.hiddenSize)]),
      cells: [...trace.running].flatMap((p) => [...trace.cells.subarray(p * shape.hiddenSize, (p + 1) * shape.hiddenSize)]),
      gradients: Object.fromEntries(Object.entries(gradients).map(([key, tensor]) => [key, Array.from(tensor.dataSync())])),
    };
    tf.dispose([...Object.values(gradients), ...WEIGHT_KEYS.map((key) => weights[key])]);
    return result;
  };

  // Widths of 8 and 6 units: whole vectors, and vectors plus a scalar tail.
  it.each([8, 6])('run the LSTM steps like the JavaScript path, forward and backward (%i units)', async (hiddenSize) => {
    const shape = { vocabSize: 17, embeddingSize: 5, hiddenSize };
    const random = new Random(hiddenSize);
    const shapes = weightShapes(shape);
    const values = Object.fromEntries(WEIGHT_KEYS.map((key) => [key, random.uniformArray(shapes[key].reduce((a, b) => a * b, 1), -1, 1)])) as WeightValues;
    try {
      const cpu = await lstmPass('cpu', shape, values);
      const wasm = await lstmPass('wasm', shape, values);
      const close = (ours: number[], theirs: number[], what: string) => {
        expect(ours.length, what).toBe(theirs.length);
        const scale = Math.max(...theirs.map(Math.abs));
        expect(scale, what).toBeGreaterThan(0.1);
        ours.forEach((value, i) => expect(Math.abs(value - (theirs[i] as number)), `${what} at ${i}`).toBeLessThan(1e-5 * scale));
      };
      close(wasm.hidden, cpu.hidden, 'hidden');
      close(wasm.cells, cpu.cells, 'cells');
      for (const key of Object.keys(cpu.gradients)) close(wasm.gradients[key]!, cpu.gradients[key]!, key);
    } finally {
      await initBackend('wasm');
    }
  });
});
