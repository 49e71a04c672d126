/**
 * Kernel fixes for the tfjs wasm backend (tfjs 4.22):
 * - `UnsortedSegmentSum` is not registered for wasm, yet it is the gradient of `gather` (the
 *   embedding lookup): without it autodiff through an embedding fails.
 * - `BatchMatMul` with `transposeA`/`transposeB` (every matmul gradient) runs an order of magnitude
 *   slower than the plain product: materialising the transpose first is much faster.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const WASM = 'wasm';
let installed = false;

/**
 * Registers the fixed kernels for the wasm backend. Must run before `tf.setBackend('wasm')` so that
 * the backend runs their setup; calling it again does nothing.
 */
export function installWasmKernelFixes(): void {
  if (installed) return;
  installed = true;
  tf.registerKernel(unsortedSegmentSumConfig);
  replaceKernel('BatchMatMul', (original) => batchMatMulWithMaterialisedTranspose(original));
}

function replaceKernel(kernelName: string, wrap: (original: KernelFunc) => KernelFunc): void {
  const original = tf.getKernel(kernelName, WASM);
  if (original === undefined) throw new Error(`wasm kernel ${kernelName} is not registered`);
  tf.unregisterKernel(kernelName, WASM);
  tf.registerKernel({ ...original, kernelFunc: wrap(original.kernelFunc) });
}

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs?: NamedAttrMap;
}

/** Scatter-add of rows: `out[segmentIds[i]] += x[i]`; ids outside [0, numSegments) are dropped. */
const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: WASM,
  kernelFunc: ((args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs['x'] as TensorInfo;
    const segmentIds = inputs['segmentIds'] as TensorInfo;
    const numSegments = attrs?.['numSegments'] as number;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32, not ${x.dtype}`);
    }
    const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
    const innerShape = x.shape.slice(segmentIds.shape.length);
    const inner = innerShape.reduce((a, b) => a * b, 1);
    const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
    // Views are taken after makeOutput: an allocation can grow the heap and detach older views.
    const target = backend.typedArrayFromHeap(out);
    const source = backend.typedArrayFromHeap(x);
    const ids = readIds(backend, segmentIds);
    target.fill(0);
    for (let row = 0; row < rows; row++) {
      const segment = ids[row] as number;
      if (segment < 0 || segment >= numSegments) continue;
      const from = row * inner;
      const to = segment * inner;
      for (let k = 0; k < inner; k++) target[to + k] = (target[to + k] as number) + (source[from + k] as number);
    }
    return out;
  }) as unknown as KernelFunc,
};

function readIds(backend: BackendWasm, ids: TensorInfo): ArrayLike<number> {
  if (ids.dtype === 'int32') return backend.typedArrayFromHeap(ids);
  // Float ids (unusual) are truncated like the cpu backend does when it indexes.
  return Int32Array.from(backend.typedArrayFromHeap(ids), Math.trunc);
}

function batchMatMulWithMaterialisedTranspose(original: KernelFunc): KernelFunc {
  const transposeKernel = tf.getKernel('Transpose', WASM);
  if (transposeKernel === undefined) throw new Error('wasm kernel Transpose is not registered');
  const transposeLastTwo = (x: TensorInfo, backend: BackendWasm): TensorInfo => {
    const perm = x.shape.map((_, axis) => axis);
    const last = perm.length - 1;
    perm[last] = last - 1;
    perm[last - 1] = last;
    return transposeKernel.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
  };
  return ((args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const transposeA = attrs?.['transposeA'] === true;
    const transposeB = attrs?.['transposeB'] === true;
    if (!transposeA && !transposeB) return original(args as never) as TensorInfo;
    const a = inputs['a'] as TensorInfo;
    const b = inputs['b'] as TensorInfo;
    const plainA = transposeA ? transposeLastTwo(a, backend) : a;
    const plainB = transposeB ? transposeLastTwo(b, backend) : b;
    try {
      return original({
        inputs: { a: plainA, b: plainB },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      } as never) as TensorInfo;
    } finally {
      if (transposeA) backend.disposeData(plainA.dataId);
      if (transposeB) backend.disposeData(plainB.dataId);
    }
  }) as unknown as KernelFunc;
}
