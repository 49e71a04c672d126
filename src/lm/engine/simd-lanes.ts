/**
 * The float operations the element-wise kernels (Adam, the LSTM's steps) are written in, on four
 * lanes at once or on one, and the loop that runs a step over an array of floats: four at a time,
 * then the tail in scalar code.
 */
import { op, type Code, type FunctionBuilder, type Local } from './wasm-assembler.ts';

/** Floats in one SIMD vector. */
export const LANES = 4;

/** The float operations of one kernel step, on four lanes at once or on one. */
export interface Lanes {
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

/** {@link Lanes} on four floats at once. */
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

/** {@link Lanes} on one float, for the tail of an array. */
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

/**
 * `step` at each byte `offset` from 0 to `count` floats: four floats at a time, then the last
 * count % 4 one at a time.
 */
export function overFloats(f: FunctionBuilder, offset: Local, count: Code, step: (lanes: Lanes, type: 'v128' | 'f32') => Code): Code {
  const end = f.local('i32');
  const vectorEnd = f.local('i32');
  return [
    ...op.set(end, op.shl(count, op.i32(2))),
    ...op.set(vectorEnd, op.shl(roundDown(count, LANES), op.i32(2))),
    ...op.forRange(offset, op.i32(0), op.get(vectorEnd), VECTOR_LANES.width, step(VECTOR_LANES, 'v128')),
    ...op.forRange(offset, op.get(vectorEnd), op.get(end), SCALAR_LANES.width, step(SCALAR_LANES, 'f32')),
  ];
}

/** `value - value % multiple` for a power of two `multiple`. */
export function roundDown(value: Code, multiple: number): Code {
  return op.and(value, op.i32(-multiple));
}
