/**
 * The matrix-product kernels: C (+)= op(A) op(B) with either operand read transposed.
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
 * Where the engine compiles relaxed SIMD, the tiles multiply and add in one fused instruction
 * (see `simd-kernels.ts`, which decides); elsewhere a multiply then an add.
 */
import { LANES, roundDown } from './simd-lanes.ts';
import { FunctionBuilder, op, type Code, type FunctionDefinition, type Local } from './wasm-assembler.ts';

/** How the kernels read their operands. */
export type Layout = 'nn' | 'nt' | 'tn';

/**
 * `c = a b` (or `c += a b` when `accumulate`), with `a` [m, k] and `b` [k, n] for `nn`,
 * `b` stored [n, k] for `nt`, `a` stored [k, m] for `tn`. Pointers are byte offsets into the
 * memory the kernels were made for; every matrix is dense and row-major.
 */
export type MatMulKernel = (a: number, b: number, c: number, m: number, k: number, n: number, accumulate: number) => void;

const TILE_ROWS = 4;
const TILE_VECTORS = 2;

/** `sum + a * b` on four lanes, fused or not. */
export type MultiplyAdd = (sum: Code, a: Code, b: Code) => Code;

/** A multiply, then an add (rounded twice). */
export const multiplyThenAdd: MultiplyAdd = (sum, a, b) => op.vAdd(sum, op.vMul(a, b));

/** Relaxed SIMD's fused multiply-add (rounded once). */
export const fusedMultiplyAdd: MultiplyAdd = (sum, a, b) => op.vMultiplyAdd(a, b, sum);

const PARAMS = ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const;

/**
 * `nn` and `tn`: each step of the inner dimension broadcasts one value of A per row of the tile
 * and multiplies it into a run of B's row. A is [m, k] (`nn`) or [k, m] (`tn`).
 */
export function broadcastKernel(layout: 'nn' | 'tn', multiplyAdd: MultiplyAdd): FunctionDefinition {
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
export function dotKernel(multiplyAdd: MultiplyAdd): FunctionDefinition {
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
