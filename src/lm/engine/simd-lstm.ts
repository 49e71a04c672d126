/**
 * The element-wise steps of the LSTM as SIMD kernels, forward (gates, cell, output) and backward
 * (gate gradients, cell carry), over the rows still running at a step. They compute sigmoid and
 * tanh on an exp of their own (`exp` below): WebAssembly has none, and JavaScript's costs 10-20 ns
 * a value.
 */
import { overFloats, type Lanes } from './simd-lanes.ts';
import { FunctionBuilder, op, type Code, type FunctionDefinition, type Local } from './wasm-assembler.ts';

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
export function expKernel(): FunctionDefinition {
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
export function lstmForwardKernel(): FunctionDefinition {
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
export function lstmBackwardKernel(): FunctionDefinition {
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
