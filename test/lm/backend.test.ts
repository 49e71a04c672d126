import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, activeBackend, BackendError } from '../../src/lm/backend.ts';
import { Random } from '../../src/lm/random.ts';

/** Runs `compute` on a backend and returns its results as plain arrays. */
async function on(backend: 'wasm' | 'cpu', compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  await initBackend(backend);
  const outputs = tf.tidy(compute);
  const values = outputs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outputs);
  return values;
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i] as number));
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)) / scale);
  }
  expect(worst).toBeLessThan(tolerance);
}

describe('initBackend', () => {
  afterAll(async () => {
    await initBackend('wasm');
  });

  it('falls back past the missing native binding and reports the backend really in use', async () => {
    const previous = process.env['TF_BACKEND'];
    delete process.env['TF_BACKEND'];
    try {
      const name = await initBackend();
      // The native binding is an optional dependency that is not installed on this machine.
      expect(['node', 'wasm']).toContain(name);
      expect(activeBackend()).toBe(name);
      expect(await initBackend()).toBe(name);
    } finally {
      if (previous !== undefined) process.env['TF_BACKEND'] = previous;
    }
  });

  it('switches to an explicitly requested backend and verifies it', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('fails clearly when a forced backend cannot start', async () => {
    let importable = true;
    try {
      const nodeBinding = '@tensorflow/tfjs-node';
      await import(nodeBinding);
    } catch {
      importable = false;
    }
    if (importable) return; // the native binding exists here: nothing can fail
    await expect(initBackend('node')).rejects.toThrow(BackendError);
    await expect(initBackend('node')).rejects.toThrow(/"node" could not be started/);
    // The previous backend stays usable.
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown TF_BACKEND value', async () => {
    const previous = process.env['TF_BACKEND'];
    process.env['TF_BACKEND'] = 'gpu-please';
    try {
      await expect(initBackend()).rejects.toThrow(/TF_BACKEND="gpu-please"/);
    } finally {
      if (previous === undefined) delete process.env['TF_BACKEND'];
      else process.env['TF_BACKEND'] = previous;
    }
  });
});

describe('wasm kernel fixes', () => {
  const random = new Random(7);
  const a = random.normalArray(37 * 19);
  const b = random.normalArray(19 * 23);
  const bt = random.normalArray(23 * 19);
  const at = random.normalArray(19 * 37);
  const batched = random.normalArray(3 * 5 * 4);
  const batchedRight = random.normalArray(3 * 6 * 4);
  const table = random.normalArray(11 * 6);
  const ids = Int32Array.from({ length: 29 }, () => random.int(11));
  const upstream = random.normalArray(29 * 6);

  const matmuls = (): tf.Tensor[] => [
    tf.matMul(tf.tensor2d(a, [37, 19]), tf.tensor2d(b, [19, 23])),
    tf.matMul(tf.tensor2d(a, [37, 19]), tf.tensor2d(bt, [23, 19]), false, true),
    tf.matMul(tf.tensor2d(at, [19, 37]), tf.tensor2d(b, [19, 23]), true, false),
    tf.matMul(tf.tensor2d(at, [19, 37]), tf.tensor2d(bt, [23, 19]), true, true),
    tf.matMul(tf.tensor3d(batched, [3, 5, 4]), tf.tensor3d(batchedRight, [3, 6, 4]), false, true),
  ];

  it('multiplies transposed matrices like the cpu backend', async () => {
    const wasm = await on('wasm', matmuls);
    const cpu = await on('cpu', matmuls);
    wasm.forEach((values, i) => expectClose(values, cpu[i] as Float32Array, 1e-5));
  });

  it('sums segments like the cpu backend, dropping ids out of range', async () => {
    const segmentIds = Int32Array.from(ids, (id, i) => (i === 3 ? 99 : id));
    const compute = (): tf.Tensor[] => [
      tf.unsortedSegmentSum(tf.tensor2d(upstream, [29, 6]), tf.tensor1d(segmentIds, 'int32'), 11),
      tf.unsortedSegmentSum(tf.tensor1d(upstream.subarray(0, 29)), tf.tensor1d(ids, 'int32'), 4),
    ];
    const wasm = await on('wasm', compute);
    const cpu = await on('cpu', compute);
    wasm.forEach((values, i) => expectClose(values, cpu[i] as Float32Array, 1e-6));
    // Real work happened: some row received several contributions.
    expect(wasm[0]?.some((v) => v !== 0)).toBe(true);
  });

  it('differentiates an embedding lookup like the cpu backend', async () => {
    const compute = (): tf.Tensor[] => {
      const weights = tf.tensor2d(table, [11, 6]);
      const grad = tf.grad((w: tf.Tensor) =>
        tf.sum(tf.mul(tf.gather(w, tf.tensor1d(ids, 'int32')), tf.tensor2d(upstream, [29, 6]))),
      );
      return [grad(weights)];
    };
    const wasm = await on('wasm', compute);
    const cpu = await on('cpu', compute);
    expectClose(wasm[0] as Float32Array, cpu[0] as Float32Array, 1e-6);
  });
});
