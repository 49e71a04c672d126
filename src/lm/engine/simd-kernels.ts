/**
 * The project's WebAssembly SIMD kernels, assembled into one module that imports the wasm
 * backend's own memory, so that they work in place on its tensors (no copies), and bound once for
 * the backend's lifetime. The kernels: matrix products written for the trainer's shapes
 * (`simd-matmul.ts`), Adam (`simd-adam.ts`) and the element-wise steps of the LSTM
 * (`simd-lstm.ts`).
 *
 * Where the engine compiles relaxed SIMD, the tiles multiply and add in one fused instruction:
 * a quarter to a third faster here than a multiply then an add, and rounded once instead of twice.
 * Node 22 compiles it as it is; Node 20's V8 has it behind a flag, which is set before the module
 * is compiled (it changes only which WebAssembly instructions compile). Elsewhere the kernels use
 * a multiply and an add.
 */
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { adamKernel, type AdamKernel } from './simd-adam.ts';
import { expKernel, lstmBackwardKernel, lstmForwardKernel, type ExpKernel, type LstmBackwardKernel, type LstmForwardKernel } from './simd-lstm.ts';
import { broadcastKernel, dotKernel, fusedMultiplyAdd, multiplyThenAdd, type Layout, type MatMulKernel, type MultiplyAdd } from './simd-matmul.ts';
import { assembleModule, FunctionBuilder, op } from './wasm-assembler.ts';

/** The kernels, bound to one WebAssembly memory. */
export type SimdKernels = Record<Layout, MatMulKernel> & {
  adam: AdamKernel;
  exp: ExpKernel;
  lstmForward: LstmForwardKernel;
  lstmBackward: LstmBackwardKernel;
};

/** A WebAssembly.Memory (opaque here). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

// The parts of the WebAssembly API used here: the project's TypeScript libraries do not declare it.
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, WasmMemory>>) => { exports: Record<string, unknown> };
};

/** Instantiates the kernels on `memory` (the wasm backend's heap). */
export function createSimdKernels(memory: WasmMemory): SimdKernels {
  const fused = enableFusedMultiplyAdd();
  const module = new WebAssembly.Module(
    assembleModule([broadcastKernel('nn', fused), broadcastKernel('tn', fused), dotKernel(fused), adamKernel(), expKernel(), lstmForwardKernel(), lstmBackwardKernel()]),
  );
  const { exports } = new WebAssembly.Instance(module, { env: { memory } });
  return {
    nn: exports['nn'] as MatMulKernel,
    tn: exports['tn'] as MatMulKernel,
    nt: exports['nt'] as MatMulKernel,
    adam: exports['adam'] as AdamKernel,
    exp: exports['exp'] as ExpKernel,
    lstmForward: exports['lstmForward'] as LstmForwardKernel,
    lstmBackward: exports['lstmBackward'] as LstmBackwardKernel,
  };
}

/** The wasm backend's view of its module: the memory the kernels work in. */
interface WasmModuleMemory {
  asm: { memory: WasmMemory };
}

let boundKernels: SimdKernels | undefined;

/** The kernels on the wasm backend's memory (the backend has one module for its lifetime). */
export function kernelsFor(backend: BackendWasm): SimdKernels {
  boundKernels ??= createSimdKernels((backend.wasm as unknown as WasmModuleMemory).asm.memory);
  return boundKernels;
}

/** The kernels and tensor addresses when the active backend is wasm; undefined on any other. */
export function activeSimdKernels(): { kernels: SimdKernels; address(tensor: tf.Tensor): number } | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as BackendWasm;
  return { kernels: kernelsFor(backend), address: (tensor) => backend.dataIdMap.get(tensor.dataId)!.memoryOffset };
}

/** The fused multiply-add when this engine compiles it (enabling it on Node 20), else a multiply then an add. */
function enableFusedMultiplyAdd(): MultiplyAdd {
  const probe = new FunctionBuilder('probe', []);
  const lanes = probe.local('v128');
  const module = assembleModule([{ builder: probe, body: op.set(lanes, op.vMultiplyAdd(op.vZero(), op.vZero(), op.vZero())) }]);
  if (!WebAssembly.validate(module)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(module) ? fusedMultiplyAdd : multiplyThenAdd;
}
