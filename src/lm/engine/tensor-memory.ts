/**
 * Moving float32 data between JavaScript and tensors without needless copies.
 *
 * On wasm a tensor lives in the module's heap: reading it through a view costs nothing, whereas
 * `dataSync()` copies it (tens of ms for the [tokens, vocabulary] logits of a batch). A view is
 * valid only until the next tensor allocation, which can grow the heap and detach it, so views are
 * used immediately and never kept.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

function wasmBackend(): BackendWasm | undefined {
  return tf.getBackend() === 'wasm' ? (tf.backend() as BackendWasm) : undefined;
}

/**
 * The values of a float32 tensor, read-only. Zero-copy on wasm; elsewhere a copy or the backend's
 * own array. Do not write to it, and do not keep it past the next tensor allocation.
 */
export function readView(tensor: tf.Tensor): Float32Array {
  const wasm = wasmBackend();
  if (wasm !== undefined) return wasm.typedArrayFromHeap(tensor) as Float32Array;
  return tensor.dataSync() as Float32Array;
}

/** A float32 tensor of `shape` whose values `fill` writes, in place on wasm. */
export function createTensor(shape: number[], fill: (values: Float32Array) => void): tf.Tensor {
  const wasm = wasmBackend();
  if (wasm !== undefined) {
    const info = wasm.makeOutput(shape, 'float32');
    // `fill` may take views of other tensors: it runs after the allocation, so they stay valid.
    fill(wasm.typedArrayFromHeap(info) as Float32Array);
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  fill(values);
  return tf.tensor(values, shape, 'float32');
}


/**
 * Gives a variable new values computed from its current ones: `compute(current, next)` fills
 * `next`. The values go to a fresh tensor (no copy on wasm) that the variable then adopts; writing
 * into the variable's own memory would be wrong on wasm, which caches the packed right-hand
 * operand of a matMul by tensor id.
 */
export function replaceVariable(variable: tf.Variable, compute: (current: Float32Array, next: Float32Array) => void): void {
  const next = createTensor(variable.shape, (values) => compute(readView(variable), values));
  variable.assign(next);
  next.dispose();
}
