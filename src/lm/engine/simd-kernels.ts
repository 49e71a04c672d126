/**
 * Matrix products written for the trainer's shapes, Adam, and the element-wise steps of the LSTM,
 * as WebAssembly SIMD kernels that work in place on the wasm backend's tensors (the module imports
 * the backend's own memory: no copies). The LSTM kernels compute sigmoid and tanh on an exp of
 * their own (`exp` below): WebAssembly has none, and JavaScript's costs 10-20 ns a value.
 *
 * The wasm backend's BatchMatMul handles `A x B` well, but the gradient products are `A^T x B`
 * and `A x B^T`: it materialises the transpose first, then repacks the right-hand operand, which
 * for the output layer's weight gradient `X^T x G` is the whole [targets, vocabulary] gradient.
 * These kernels read either operand transposed directly, so all three products of the output
 * layer run at the speed of the plain one.
 *
 * Each kernel computes C (+)= op(A) op(B) in register tiles (4 rows by 8 columns of C in eight
 * 4-lane accumulators, the most that fits x64's sixteen SIMD registers with the operands), with
 * narrower tiles and scalar code for the edges. Sums run over the inner dimension in order.
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
import { assembleModule, FunctionBuilder, op, type Code, type FunctionDefinition, type Local } from './wasm-assembler.ts';

/** How the kernels read their operands. */
export type Layout = 'nn' | 'nt' | 'tn';

/**
 * `c = a b` (or `c += a b` when `accumulate`), with `a` [m, k] and `b` [k, n] for `nn`,
 * `b` stored [n, k] for `nt`, `a` stored [k, m] for `tn`. Pointers are byte offsets into the
 * memory the kernels were made for; every matrix is dense and row-major.
 */
export type MatMulKernel = (a: number, b: number, c: number, m: number, k: number, n: number, accumulate: number) => void;

/**
 * One Adam step over `count` values (PyTorch's form): with g = grad * gradientScale,
 * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, and
 * out = param - stepSize * m / (sqrt(v) / rootSecondCorrection + epsilon). `m` and `v` are
 * updated in place; pointers are byte offsets.
 */
export type AdamKernel = (
  param: number,
  grad: number,
  m: number,
  v: number,
  out: number,
  count: number,
  gradientScale: number,
  stepSize: number,
  rootSecondCorrection: number,
) => void;

/** Adam's decay rates and the term that keeps its denominator positive. */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

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

const TILE_ROWS = 4;
const TILE_VECTORS = 2;
const LANES = 4;

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

/** `sum + a * b` on four lanes, fused or not. */
type MultiplyAdd = (sum: Code, a: Code, b: Code) => Code;

const multiplyThenAdd: MultiplyAdd = (sum, a, b) => op.vAdd(sum, op.vMul(a, b));
const fusedMultiplyAdd: MultiplyAdd = (sum, a, b) => op.vMultiplyAdd(a, b, sum);

/** The fused multiply-add when this engine compiles it (enabling it on Node 20), else a multiply then an add. */
function enableFusedMultiplyAdd(): MultiplyAdd {
  const probe = new FunctionBuilder('probe', []);
  const lanes = probe.local('v128');
  const module = assembleModule([{ builder: probe, body: op.set(lanes, op.vMultiplyAdd(op.vZero(), op.vZero(), op.vZero())) }]);
  if (!WebAssembly.validate(module)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(module) ? fusedMultiplyAdd : multiplyThenAdd;
}

const PARAMS = ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const;

/**
 * `nn` and `tn`: each step of the inner dimension broadcasts one value of A per row of the tile
 * and multiplies it into a run of B's row. A is [m, k] (`nn`) or [k, m] (`tn`).
 */
function broadcastKernel(layout: 'nn' | 'tn', multiplyAdd: MultiplyAdd): FunctionDefinition {
  const f = new FunctionBuilder(layout, PARAMS);
  const [a, b, c, m, k, n, accumulate] = f.params as [Local, Local, Local, Local, Local, Local, Local];
  const row = f.local('i32');
  const column = f.local('i32');
  const step = f.local('i32');
  const aRows = Array.from({ length: TILE_ROWS }, () => f.local('i32'));
  const bAt = f.local('i32');
  const cAt = f.local('i32');
  const aStride = f.local('i32');
  const bStride = f.local('i32');
  const vectorColumnsEnd = f.local('i32');
  const quadColumnsEnd = f.local('i32');
  const tileRowsEnd = f.local('i32');
  const bValues = Array.from({ length: TILE_VECTORS }, () => f.local('v128'));
  const aValue = f.local('v128');
  const sums = Array.from({ length: TILE_ROWS * TILE_VECTORS }, () => f.local('v128'));
  const scalarSum = f.local('f32');

  const bytes = (floats: Code): Code => op.shl(floats, op.i32(2));
  // Address of A[row + r, step 0]; each step then moves by `aStride` bytes.
  const aStart = (r: number): Code =>
    layout === 'nn' ? op.add(op.get(a), bytes(op.mul(op.add(op.get(row), op.i32(r)), op.get(k)))) : op.add(op.get(a), bytes(op.add(op.get(row), op.i32(r))));

  /** The tile of `rows` rows and `vectors` x 4 columns at (row, column). */
  const tile = (rows: number, vectors: number): Code => {
    const code: Code = [];
    // With A transposed, a tile's rows are adjacent floats of one row of A: one pointer and
    // constant offsets instead of a pointer per row to move each step.
    const pointers = layout === 'tn' ? 1 : rows;
    for (let r = 0; r < pointers; r++) code.push(...op.set(aRows[r]!, aStart(r)));
    code.push(...op.set(bAt, op.add(op.get(b), bytes(op.get(column)))));
    for (let s = 0; s < rows * vectors; s++) code.push(...op.set(sums[s]!, op.vZero()));
    const body: Code = [];
    for (let v = 0; v < vectors; v++) body.push(...op.set(bValues[v]!, op.load(op.get(bAt), 16 * v)));
    for (let r = 0; r < rows; r++) {
      body.push(...op.set(aValue, layout === 'tn' ? op.loadSplat(op.get(aRows[0]!), 4 * r) : op.loadSplat(op.get(aRows[r]!))));
      for (let v = 0; v < vectors; v++) {
        const sum = sums[r * vectors + v]!;
        body.push(...op.set(sum, multiplyAdd(op.get(sum), op.get(aValue), op.get(bValues[v]!))));
      }
    }
    for (let r = 0; r < pointers; r++) body.push(...op.set(aRows[r]!, op.add(op.get(aRows[r]!), op.get(aStride))));
    body.push(...op.set(bAt, op.add(op.get(bAt), op.get(bStride))));
    code.push(...op.forRange(step, op.i32(0), op.get(k), 1, body));
    for (let r = 0; r < rows; r++) {
      code.push(...op.set(cAt, op.add(op.get(c), bytes(op.add(op.mul(op.add(op.get(row), op.i32(r)), op.get(n)), op.get(column))))));
      for (let v = 0; v < vectors; v++) {
        const sum = sums[r * vectors + v]!;
        code.push(...op.when(op.get(accumulate), op.set(sum, op.vAdd(op.get(sum), op.load(op.get(cAt), 16 * v)))));
        code.push(...op.store(op.get(cAt), op.get(sum), 16 * v));
      }
    }
    return code;
  };

  /** One element of C at (row, column), in scalar code: the last columns when n % 4 != 0. */
  const scalar: Code = [
    ...op.set(aRows[0]!, aStart(0)),
    ...op.set(bAt, op.add(op.get(b), bytes(op.get(column)))),
    ...op.set(scalarSum, op.f32(0)),
    ...op.forRange(step, op.i32(0), op.get(k), 1, [
      ...op.set(scalarSum, op.f32Add(op.get(scalarSum), op.f32Mul(op.f32Load(op.get(aRows[0]!)), op.f32Load(op.get(bAt))))),
      ...op.set(aRows[0]!, op.add(op.get(aRows[0]!), op.get(aStride))),
      ...op.set(bAt, op.add(op.get(bAt), op.get(bStride))),
    ]),
    ...op.set(cAt, op.add(op.get(c), bytes(op.add(op.mul(op.get(row), op.get(n)), op.get(column))))),
    ...op.when(op.get(accumulate), op.set(scalarSum, op.f32Add(op.get(scalarSum), op.f32Load(op.get(cAt))))),
    ...op.f32Store(op.get(cAt), op.get(scalarSum)),
  ];

  const allRows = (vectors: number): Code => [
    ...op.forRange(row, op.i32(0), op.get(tileRowsEnd), TILE_ROWS, tile(TILE_ROWS, vectors)),
    ...op.forRange(row, op.get(tileRowsEnd), op.get(m), 1, tile(1, vectors)),
  ];

  const body: Code = [
    ...op.set(aStride, layout === 'nn' ? op.i32(4) : bytes(op.get(m))),
    ...op.set(bStride, bytes(op.get(n))),
    ...op.set(tileRowsEnd, roundDown(op.get(m), TILE_ROWS)),
    ...op.set(vectorColumnsEnd, roundDown(op.get(n), TILE_VECTORS * LANES)),
    ...op.set(quadColumnsEnd, roundDown(op.get(n), LANES)),
    ...op.forRange(column, op.i32(0), op.get(vectorColumnsEnd), TILE_VECTORS * LANES, allRows(TILE_VECTORS)),
    ...op.forRange(column, op.get(vectorColumnsEnd), op.get(quadColumnsEnd), LANES, allRows(1)),
    ...op.forRange(column, op.get(quadColumnsEnd), op.get(n), 1, op.forRange(row, op.i32(0), op.get(m), 1, scalar)),
  ];
  return { builder: f, body };
}

/**
 * `nt`: C[i, j] is the dot product of row i of A and row j of B, both [*, k] and contiguous:
 * 4-lane partial sums over the inner dimension for a tile of 4 rows of A by 2 rows of B, added
 * across lanes at the end.
 */
function dotKernel(multiplyAdd: MultiplyAdd): FunctionDefinition {
  const f = new FunctionBuilder('nt', PARAMS);
  const [a, b, c, m, k, n, accumulate] = f.params as [Local, Local, Local, Local, Local, Local, Local];
  const B_ROWS = 2;
  const row = f.local('i32');
  const column = f.local('i32');
  const offset = f.local('i32');
  const aRows = Array.from({ length: TILE_ROWS }, () => f.local('i32'));
  const bRows = Array.from({ length: B_ROWS }, () => f.local('i32'));
  const cAt = f.local('i32');
  const rowBytes = f.local('i32');
  const quadBytesEnd = f.local('i32');
  const tileRowsEnd = f.local('i32');
  const pairColumnsEnd = f.local('i32');
  const aValues = Array.from({ length: TILE_ROWS }, () => f.local('v128'));
  const bValues = Array.from({ length: B_ROWS }, () => f.local('v128'));
  const sums = Array.from({ length: TILE_ROWS * B_ROWS }, () => f.local('v128'));
  const totals = Array.from({ length: TILE_ROWS * B_ROWS }, () => f.local('f32'));

  const bytes = (floats: Code): Code => op.shl(floats, op.i32(2));

  const tile = (rows: number, columns: number): Code => {
    const code: Code = [];
    for (let r = 0; r < rows; r++) code.push(...op.set(aRows[r]!, op.add(op.get(a), op.mul(op.add(op.get(row), op.i32(r)), op.get(rowBytes)))));
    for (let s = 0; s < columns; s++) code.push(...op.set(bRows[s]!, op.add(op.get(b), op.mul(op.add(op.get(column), op.i32(s)), op.get(rowBytes)))));
    for (let x = 0; x < rows * columns; x++) code.push(...op.set(sums[x]!, op.vZero()));
    const vectorBody: Code = [];
    for (let r = 0; r < rows; r++) vectorBody.push(...op.set(aValues[r]!, op.load(op.add(op.get(aRows[r]!), op.get(offset)))));
    for (let s = 0; s < columns; s++) vectorBody.push(...op.set(bValues[s]!, op.load(op.add(op.get(bRows[s]!), op.get(offset)))));
    for (let r = 0; r < rows; r++) {
      for (let s = 0; s < columns; s++) {
        const sum = sums[r * columns + s]!;
        vectorBody.push(...op.set(sum, multiplyAdd(op.get(sum), op.get(aValues[r]!), op.get(bValues[s]!))));
      }
    }
    code.push(...op.forRange(offset, op.i32(0), op.get(quadBytesEnd), 16, vectorBody));
    for (let x = 0; x < rows * columns; x++) {
      const sum = sums[x]!;
      code.push(...op.set(totals[x]!, op.f32Add(op.f32Add(op.lane(op.get(sum), 0), op.lane(op.get(sum), 1)), op.f32Add(op.lane(op.get(sum), 2), op.lane(op.get(sum), 3)))));
    }
    // The last k % 4 values of the inner dimension.
    const tailBody: Code = [];
    for (let r = 0; r < rows; r++) {
      for (let s = 0; s < columns; s++) {
        const total = totals[r * columns + s]!;
        tailBody.push(
          ...op.set(total, op.f32Add(op.get(total), op.f32Mul(op.f32Load(op.add(op.get(aRows[r]!), op.get(offset))), op.f32Load(op.add(op.get(bRows[s]!), op.get(offset)))))),
        );
      }
    }
    code.push(...op.forRange(offset, op.get(quadBytesEnd), op.get(rowBytes), 4, tailBody));
    for (let r = 0; r < rows; r++) {
      for (let s = 0; s < columns; s++) {
        const total = totals[r * columns + s]!;
        code.push(...op.set(cAt, op.add(op.get(c), bytes(op.add(op.mul(op.add(op.get(row), op.i32(r)), op.get(n)), op.add(op.get(column), op.i32(s)))))));
        code.push(...op.when(op.get(accumulate), op.set(total, op.f32Add(op.get(total), op.f32Load(op.get(cAt))))));
        code.push(...op.f32Store(op.get(cAt), op.get(total)));
      }
    }
    return code;
  };

  const allColumns = (rows: number): Code => [
    ...op.forRange(column, op.i32(0), op.get(pairColumnsEnd), B_ROWS, tile(rows, B_ROWS)),
    ...op.forRange(column, op.get(pairColumnsEnd), op.get(n), 1, tile(rows, 1)),
  ];

  const body: Code = [
    ...op.set(rowBytes, bytes(op.get(k))),
    ...op.set(quadBytesEnd, bytes(roundDown(op.get(k), LANES))),
    ...op.set(tileRowsEnd, roundDown(op.get(m), TILE_ROWS)),
    ...op.set(pairColumnsEnd, roundDown(op.get(n), B_ROWS)),
    ...op.forRange(row, op.i32(0), op.get(tileRowsEnd), TILE_ROWS, allColumns(TILE_ROWS)),
    ...op.forRange(row, op.get(tileRowsEnd), op.get(m), 1, allColumns(1)),
  ];
  return { builder: f, body };
}

/** The float operations of one kernel step, on four lanes at once or on one. */
interface Lanes {
  /** Bytes one step covers. */
  width: number;
  load(address: Code): Code;
  store(address: Code, value: Code): Code;
  add(a: Code, b: Code): Code;
  sub(a: Code, b: Code): Code;
  mul(a: Code, b: Code): Code;
  div(a: Code, b: Code): Code;
  sqrt(a: Code): Code;
  neg(a: Code): Code;
  min(a: Code, b: Code): Code;
  max(a: Code, b: Code): Code;
  /** Rounded to the nearest integer, ties to even. */
  nearest(a: Code): Code;
  /** `value * 2^power` for an integral `power` (an f32) that keeps the result a normal float: added to the exponent bits. */
  timesPowerOfTwo(value: Code, power: Code): Code;
  /** A scalar (an f32 value) in every lane. */
  broadcast(scalar: Code): Code;
}

const FRACTION_BITS = 23;

const VECTOR_LANES: Lanes = {
  width: 16,
  load: op.load,
  store: op.store,
  add: op.vAdd,
  sub: op.vSub,
  mul: op.vMul,
  div: op.vDiv,
  sqrt: op.vSqrt,
  neg: op.vNeg,
  min: op.vMin,
  max: op.vMax,
  nearest: op.vNearest,
  timesPowerOfTwo: (value, power) => op.vIntAdd(value, op.vShiftLeft(op.vTruncSat(power), op.i32(FRACTION_BITS))),
  broadcast: op.splat,
};
const SCALAR_LANES: Lanes = {
  width: 4,
  load: op.f32Load,
  store: op.f32Store,
  add: op.f32Add,
  sub: op.f32Sub,
  mul: op.f32Mul,
  div: op.f32Div,
  sqrt: op.f32Sqrt,
  neg: op.f32Neg,
  min: op.f32Min,
  max: op.f32Max,
  nearest: op.f32Nearest,
  timesPowerOfTwo: (value, power) => op.f32FromBits(op.add(op.i32FromBits(value), op.shl(op.i32TruncSatF32(power), op.i32(FRACTION_BITS)))),
  broadcast: (scalar) => scalar,
};

/** {@link AdamKernel}: four values per step, then the last count % 4 in scalar code. */
function adamKernel(): FunctionDefinition {
  const f = new FunctionBuilder('adam', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32']);
  const [param, grad, m, v, out, count, gradientScale, stepSize, rootSecondCorrection] = f.params as Local[] as [
    Local, Local, Local, Local, Local, Local, Local, Local, Local,
  ];
  const offset = f.local('i32');
  const at = (base: Local): Code => op.add(op.get(base), op.get(offset));
  /** One Adam update of the lanes at `offset`, in locals of the lanes' type. */
  const step = (lanes: Lanes, type: 'v128' | 'f32'): Code => {
    const [g, first, second] = [f.local(type), f.local(type), f.local(type)];
    const constant = (value: number): Code => lanes.broadcast(op.f32(value));
    return [
      ...op.set(g, lanes.mul(lanes.load(at(grad)), lanes.broadcast(op.get(gradientScale)))),
      ...op.set(first, lanes.add(lanes.mul(constant(ADAM.beta1), lanes.load(at(m))), lanes.mul(constant(1 - ADAM.beta1), op.get(g)))),
      ...op.set(second, lanes.add(lanes.mul(constant(ADAM.beta2), lanes.load(at(v))), lanes.mul(constant(1 - ADAM.beta2), lanes.mul(op.get(g), op.get(g))))),
      ...lanes.store(at(m), op.get(first)),
      ...lanes.store(at(v), op.get(second)),
      ...lanes.store(
        at(out),
        lanes.sub(
          lanes.load(at(param)),
          lanes.div(
            lanes.mul(lanes.broadcast(op.get(stepSize)), op.get(first)),
            lanes.add(lanes.div(lanes.sqrt(op.get(second)), lanes.broadcast(op.get(rootSecondCorrection))), constant(ADAM.epsilon)),
          ),
        ),
      ),
    ];
  };
  return { builder: f, body: overFloats(f, offset, op.get(count), step) };
}

/**
 * `step` at each byte `offset` from 0 to `count` floats: four floats at a time, then the last
 * count % 4 one at a time.
 */
function overFloats(f: FunctionBuilder, offset: Local, count: Code, step: (lanes: Lanes, type: 'v128' | 'f32') => Code): Code {
  const end = f.local('i32');
  const vectorEnd = f.local('i32');
  return [
    ...op.set(end, op.shl(count, op.i32(2))),
    ...op.set(vectorEnd, op.shl(roundDown(count, LANES), op.i32(2))),
    ...op.forRange(offset, op.i32(0), op.get(vectorEnd), VECTOR_LANES.width, step(VECTOR_LANES, 'v128')),
    ...op.forRange(offset, op.get(vectorEnd), op.get(end), SCALAR_LANES.width, step(SCALAR_LANES, 'f32')),
  ];
}

/**
 * e^x into `into` (Cephes' expf): x = n ln 2 + r with |r| <= ln 2 / 2 (ln 2 in two parts, so r
 * stays exact), a degree-6 polynomial for e^r, and 2^n added to its exponent bits. Relative error
 * within 2e-7 of the float32 result; x is clamped to [-86, 88], where 2^n stays a normal float.
 */
function exp(f: FunctionBuilder, lanes: Lanes, type: 'v128' | 'f32', x: Code, into: Local): Code {
  const [power, reduced] = [f.local(type), f.local(type)];
  const constant = (value: number): Code => lanes.broadcast(op.f32(value));
  const coefficients = [1.987569150e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  let polynomial = constant(coefficients[0]!);
  for (const coefficient of coefficients.slice(1)) polynomial = lanes.add(lanes.mul(polynomial, op.get(reduced)), constant(coefficient));
  return [
    ...op.set(into, lanes.min(lanes.max(x, constant(-86)), constant(88))),
    ...op.set(power, lanes.nearest(lanes.mul(op.get(into), constant(Math.LOG2E)))),
    ...op.set(reduced, lanes.sub(lanes.sub(op.get(into), lanes.mul(op.get(power), constant(0.693359375))), lanes.mul(op.get(power), constant(-2.12194440e-4)))),
    ...op.set(
      into,
      lanes.timesPowerOfTwo(
        lanes.add(lanes.add(lanes.mul(polynomial, lanes.mul(op.get(reduced), op.get(reduced))), op.get(reduced)), constant(1)),
        op.get(power),
      ),
    ),
  ];
}

/** The logistic sigmoid 1 / (1 + e^-x) into `into`. */
function sigmoid(f: FunctionBuilder, lanes: Lanes, type: 'v128' | 'f32', x: Code, into: Local): Code {
  const one = lanes.broadcast(op.f32(1));
  return [...exp(f, lanes, type, lanes.neg(x), into), ...op.set(into, lanes.div(one, lanes.add(one, op.get(into))))];
}

/** tanh(x) = 2 sigmoid(2x) - 1 into `into`. */
function tanh(f: FunctionBuilder, lanes: Lanes, type: 'v128' | 'f32', x: Code, into: Local): Code {
  const two = lanes.broadcast(op.f32(2));
  return [...sigmoid(f, lanes, type, lanes.mul(two, x), into), ...op.set(into, lanes.sub(lanes.mul(two, op.get(into)), lanes.broadcast(op.f32(1))))];
}

/** `e^x` of `count` floats in place. */
export type ExpKernel = (values: number, count: number) => void;

/** {@link ExpKernel}: the exp the LSTM kernels' activations use, on its own, to check it against Math.exp. */
function expKernel(): FunctionDefinition {
  const f = new FunctionBuilder('exp', ['i32', 'i32']);
  const [values, count] = f.params as [Local, Local];
  const offset = f.local('i32');
  const at = op.add(op.get(values), op.get(offset));
  const step = (lanes: Lanes, type: 'v128' | 'f32'): Code => {
    const result = f.local(type);
    return [...exp(f, lanes, type, lanes.load(at), result), ...lanes.store(at, op.get(result))];
  };
  return { builder: f, body: overFloats(f, offset, op.get(count), step) };
}

/**
 * One step of the LSTM over `rows` rows of `width` units, after the recurrent product was added
 * to the pre-activations: `gates` [rows, 4 * width] holds x W + h U in the blocks i, f, c, o, to
 * which `bias` [4 * width] is added, with the candidate block doubled (tanh(z) = 2 sigmoid(2z) - 1,
 * the form the rest of the trainer uses), and is overwritten with the activated gates;
 * `previousCells` [rows, width] is c_{t-1} (zeros at the first step); `cells`, `cellTanh` and
 * `hidden` [rows, width] receive c_t, tanh(c_t) and h_t.
 */
export type LstmForwardKernel = (
  gates: number,
  bias: number,
  previousCells: number,
  cells: number,
  cellTanh: number,
  hidden: number,
  rows: number,
  width: number,
) => void;

/**
 * Backpropagation of one LSTM step over `rows` rows of `width` units, from the forward step's
 * activated `gates`, `cellTanh` and `previousCells`: with dh = `hiddenGradient` + `hiddenCarry`
 * and dc = dh o (1 - tanh(c)^2) + `cellCarry`, writes d loss / d z into `gateGradient`
 * [rows, 4 * width] (for the candidate block, with respect to the undoubled z) and dc f into
 * `cellCarry` for the step before.
 */
export type LstmBackwardKernel = (
  gates: number,
  cellTanh: number,
  previousCells: number,
  hiddenGradient: number,
  hiddenCarry: number,
  cellCarry: number,
  gateGradient: number,
  rows: number,
  width: number,
) => void;

/**
 * An element-wise LSTM kernel over `rows` rows of `width` units: `element` writes the step for
 * the units at byte `offset` of a row, given the addresses of that unit in each pointer parameter
 * (`block` 0-3 picks a gate block of a [rows, 4 * width] operand, or of a [4 * width] one that
 * every row shares).
 */
function lstmRowsKernel(
  name: string,
  pointers: number,
  element: (f: FunctionBuilder, lanes: Lanes, type: 'v128' | 'f32', at: (pointer: number, block?: number, sharedByRows?: boolean) => Code) => Code,
): FunctionDefinition {
  const f = new FunctionBuilder(name, [...Array.from({ length: pointers }, () => 'i32' as const), 'i32', 'i32']);
  const parameters = f.params.slice(0, pointers);
  const [rows, width] = f.params.slice(pointers) as [Local, Local];
  const row = f.local('i32');
  const offset = f.local('i32');
  const rowBytes = f.local('i32');
  const unitsAt = f.local('i32');
  const gatesAt = f.local('i32');
  const at = (pointer: number, block?: number, sharedByRows = false): Code => {
    const base = op.add(op.get(parameters[pointer]!), op.get(offset));
    if (block === undefined) return op.add(base, op.get(unitsAt));
    return op.add(sharedByRows ? base : op.add(base, op.get(gatesAt)), op.mul(op.get(rowBytes), op.i32(block)));
  };
  const body: Code = [
    ...op.set(rowBytes, op.shl(op.get(width), op.i32(2))),
    ...op.forRange(row, op.i32(0), op.get(rows), 1, [
      ...op.set(unitsAt, op.mul(op.get(row), op.get(rowBytes))),
      ...op.set(gatesAt, op.shl(op.get(unitsAt), op.i32(2))),
      ...overFloats(f, offset, op.get(width), (lanes, type) => element(f, lanes, type, at)),
    ]),
  ];
  return { builder: f, body };
}

/** {@link LstmForwardKernel}. */
function lstmForwardKernel(): FunctionDefinition {
  const [GATES, BIAS, PREVIOUS_CELLS, CELLS, CELL_TANH, HIDDEN] = [0, 1, 2, 3, 4, 5];
  return lstmRowsKernel('lstmForward', 6, (f, lanes, type, at) => {
    const [input, forget, candidate, output, cell, squashed] = Array.from({ length: 6 }, () => f.local(type)) as [Local, Local, Local, Local, Local, Local];
    const two = lanes.broadcast(op.f32(2));
    const preActivation = (block: number): Code => lanes.add(lanes.load(at(GATES, block)), lanes.load(at(BIAS, block, true)));
    return [
      ...sigmoid(f, lanes, type, preActivation(0), input),
      ...sigmoid(f, lanes, type, preActivation(1), forget),
      // The candidate's pre-activation is doubled: 2 sigmoid(z) - 1 is tanh of the true one.
      ...sigmoid(f, lanes, type, preActivation(2), candidate),
      ...op.set(candidate, lanes.sub(lanes.mul(two, op.get(candidate)), lanes.broadcast(op.f32(1)))),
      ...sigmoid(f, lanes, type, preActivation(3), output),
      ...op.set(cell, lanes.add(lanes.mul(op.get(forget), lanes.load(at(PREVIOUS_CELLS))), lanes.mul(op.get(input), op.get(candidate)))),
      ...tanh(f, lanes, type, op.get(cell), squashed),
      ...lanes.store(at(GATES, 0), op.get(input)),
      ...lanes.store(at(GATES, 1), op.get(forget)),
      ...lanes.store(at(GATES, 2), op.get(candidate)),
      ...lanes.store(at(GATES, 3), op.get(output)),
      ...lanes.store(at(CELLS), op.get(cell)),
      ...lanes.store(at(CELL_TANH), op.get(squashed)),
      ...lanes.store(at(HIDDEN), lanes.mul(op.get(output), op.get(squashed))),
    ];
  });
}

/** {@link LstmBackwardKernel}. */
function lstmBackwardKernel(): FunctionDefinition {
  const [GATES, CELL_TANH, PREVIOUS_CELLS, HIDDEN_GRADIENT, HIDDEN_CARRY, CELL_CARRY, GATE_GRADIENT] = [0, 1, 2, 3, 4, 5, 6];
  return lstmRowsKernel('lstmBackward', 7, (f, lanes, type, at) => {
    const [input, forget, candidate, output, squashed, dh, dc] = Array.from({ length: 7 }, () => f.local(type)) as [Local, Local, Local, Local, Local, Local, Local];
    const one = lanes.broadcast(op.f32(1));
    /** x (1 - x), the sigmoid's derivative from its value. */
    const slope = (x: Local): Code => lanes.mul(op.get(x), lanes.sub(one, op.get(x)));
    /** 1 - x^2, tanh's derivative from its value. */
    const tanhSlope = (x: Local): Code => lanes.sub(one, lanes.mul(op.get(x), op.get(x)));
    return [
      ...op.set(input, lanes.load(at(GATES, 0))),
      ...op.set(forget, lanes.load(at(GATES, 1))),
      ...op.set(candidate, lanes.load(at(GATES, 2))),
      ...op.set(output, lanes.load(at(GATES, 3))),
      ...op.set(squashed, lanes.load(at(CELL_TANH))),
      ...op.set(dh, lanes.add(lanes.load(at(HIDDEN_GRADIENT)), lanes.load(at(HIDDEN_CARRY)))),
      ...op.set(dc, lanes.add(lanes.mul(lanes.mul(op.get(dh), op.get(output)), tanhSlope(squashed)), lanes.load(at(CELL_CARRY)))),
      ...lanes.store(at(GATE_GRADIENT, 0), lanes.mul(lanes.mul(op.get(dc), op.get(candidate)), slope(input))),
      ...lanes.store(at(GATE_GRADIENT, 1), lanes.mul(lanes.mul(op.get(dc), lanes.load(at(PREVIOUS_CELLS))), slope(forget))),
      ...lanes.store(at(GATE_GRADIENT, 2), lanes.mul(lanes.mul(op.get(dc), op.get(input)), tanhSlope(candidate))),
      ...lanes.store(at(GATE_GRADIENT, 3), lanes.mul(lanes.mul(op.get(dh), op.get(squashed)), slope(output))),
      ...lanes.store(at(CELL_CARRY), lanes.mul(op.get(dc), op.get(forget))),
    ];
  });
}

/** `value - value % multiple` for a power of two `multiple`. */
function roundDown(value: Code, multiple: number): Code {
  return op.and(value, op.i32(-multiple));
}
