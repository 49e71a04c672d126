import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lm/backend.ts';
import { Random } from '../../src/lm/random.ts';

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
