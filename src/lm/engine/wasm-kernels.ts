/**
 * Kernel fixes for the tfjs wasm backend (tfjs 4.22):
 * - `UnsortedSegmentSum` is not registered for wasm, yet it is the gradient of `gather` (the
 *   embedding lookup): without it autodiff through an embedding fails.
 * - `BatchMatMul` with `transposeA`/`transposeB` (every matmul gradient) runs an order of magnitude
 *   slower than the plain product. Two-dimensional products run on this project's SIMD kernels
 *   (`simd-kernels.ts`), which read a transposed operand directly; other transposed products
 *   materialise the transpose first.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelsFor } from './simd-kernels.ts';

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
  replaceKernel('BatchMatMul', (original) => simdMatMul(batchMatMulWithMaterialisedTranspose(original)));
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

/**
 * Rows of the inner dimension per call of the `tn` kernel: its right-hand operand is read down
 * columns, a row apart each step, and more rows than the processor's first-level address cache
 * holds pages for make it about half as fast.
 */
const TN_BLOCK_ROWS = 128;

/** Float32 products of two matrices (rank 2, or rank 3 with one batch) on the SIMD kernels; others to `fallback`. */
function simdMatMul(fallback: KernelFunc): KernelFunc {
  return ((args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const a = inputs['a'] as TensorInfo;
    const b = inputs['b'] as TensorInfo;
    const transposeA = attrs?.['transposeA'] === true;
    const transposeB = attrs?.['transposeB'] === true;
    if (!singleMatrix(a) || !singleMatrix(b) || a.dtype !== 'float32' || b.dtype !== 'float32' || (transposeA && transposeB)) {
      return fallback(args as never) as TensorInfo;
    }
    const [aRows, aColumns] = a.shape.slice(-2) as [number, number];
    const [bRows, bColumns] = b.shape.slice(-2) as [number, number];
    const [m, k] = transposeA ? [aColumns, aRows] : [aRows, aColumns];
    const n = transposeB ? bRows : bColumns;
    if ((transposeB ? bColumns : bRows) !== k) throw new Error(`matMul: inner sizes ${k} and ${transposeB ? bColumns : bRows} differ`);
    const outShape = a.shape.length === 3 || b.shape.length === 3 ? [1, m, n] : [m, n];
    const out = backend.makeOutput(outShape, 'float32');
    const offset = (x: TensorInfo): number => backend.dataIdMap.get(x.dataId)!.memoryOffset;
    const kernels = kernelsFor(backend);
    const [aAt, bAt, cAt] = [offset(a), offset(b), offset(out)];
    if (k === 0) {
      backend.typedArrayFromHeap(out).fill(0);
    } else if (transposeA) {
      for (let row = 0; row < k; row += TN_BLOCK_ROWS) {
        kernels.tn(aAt + 4 * row * m, bAt + 4 * row * n, cAt, m, Math.min(TN_BLOCK_ROWS, k - row), n, row > 0 ? 1 : 0);
      }
    } else {
      kernels[transposeB ? 'nt' : 'nn'](aAt, bAt, cAt, m, k, n, 0);
    }
    return out;
  }) as unknown as KernelFunc;
}

function singleMatrix(x: TensorInfo): boolean {
  return x.shape.length === 2 || (x.shape.length === 3 && x.shape[0] === 1);
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
