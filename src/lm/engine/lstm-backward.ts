/**
 * Backpropagation through time for the LSTM of the Embedding -> LSTM -> Dense network, from the
 * trace its forward pass (`lstm-forward.ts`) kept: the weight gradients run as single matMuls over
 * all steps at once; per step, on wasm, one SIMD kernel for the gate gradients and the cell carry,
 * then the product that carries the gradient to the step before, the state staying in the
 * backend's memory; on other backends JavaScript loops and tensor products. Same time-major layout
 * as the forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { stepStarts, type HeapKernels, type InputBatch, type LstmTrace, type StepState } from './lstm-forward.ts';
import { shapeOf, type NetworkGradients, type NetworkWeights } from './network-weights.ts';
import { timePhase } from './phase-profile.ts';
import { activeSimdKernels } from './simd-kernels.ts';
import { createTensor, readView } from './tensor-memory.ts';

/**
 * Backpropagation through time. `hiddenGradient` [steps * size, hidden] is d loss / d h_t coming
 * from the output layer; returns the gradients of the embedding and LSTM weights (the output
 * gradient is the caller's). Disposes what the trace kept for it.
 */
export function backpropLstm(
  weights: NetworkWeights,
  trace: LstmTrace,
  batch: InputBatch,
  hiddenGradient: Float32Array,
): Omit<NetworkGradients, 'output'> {
  const { size, hiddenSize: H, hidden, embedded, inputMask, state } = trace;
  if (embedded === undefined || state === undefined) throw new Error('backpropLstm needs a trace run with keepForBackward');
  const { vocabSize, embeddingSize: E } = shapeOf(weights);
  const G = 4 * H;
  const simd = 'heap' in state ? activeSimdKernels() : undefined;
  if ('heap' in state && simd === undefined) throw new Error('the trace was run on wasm, the backend is now another');
  const { running } = trace;
  // d loss / d z of the running positions, [running.length, 4 * hidden]: the weight gradients are
  // sums over them only (padding contributes nothing).
  const gateGradientTensor =
    'heap' in state
      ? gateGradientsInHeap(simd as HeapKernels, weights, batch, state.heap, hiddenGradient)
      : timePhase('LSTM weight gradients', () => {
          const gradients = gateGradientsInArrays(weights, batch, state.arrays, hiddenGradient);
          return createTensor([running.length, G], (values) => running.forEach((p, row) => values.set(gradients.subarray(p * G, (p + 1) * G), row * G)));
        });
  return timePhase('LSTM weight gradients', () => {
    // h_{t-1} for every running position, zero at t = 0.
    const previousHidden = createTensor([running.length, H], (values) => {
      running.forEach((p, row) => {
        if (p < size) values.fill(0, row * H, (row + 1) * H);
        else values.set(hidden.subarray((p - size) * H, (p - size + 1) * H), row * H);
      });
    });
    const kernel = tf.matMul(embedded, gateGradientTensor, true, false);
    const recurrentKernel = tf.matMul(previousHidden, gateGradientTensor, true, false);
    const embeddedGradient = tf.matMul(gateGradientTensor, weights.kernel, false, true);
    const bias = createTensor([G], (values) => {
      const gradients = readView(gateGradientTensor);
      values.fill(0);
      for (let z = 0; z < gradients.length; z += G) {
        for (let k = 0; k < G; k++) values[k] = (values[k] as number) + (gradients[z + k] as number);
      }
    });
    const embedding = timePhase('embedding gradient', () =>
      createTensor([vocabSize, E], (values) => {
        values.fill(0);
        const rows = readView(embeddedGradient);
        running.forEach((p, row) => {
          const to = (batch.inputs[p] as number) * E;
          const from = row * E;
          for (let k = 0; k < E; k++) {
            const g = rows[from + k] as number;
            values[to + k] = (values[to + k] as number) + (inputMask === undefined ? g : g * (inputMask[from + k] as number));
          }
        });
      }),
    );
    tf.dispose([gateGradientTensor, previousHidden, embeddedGradient, embedded]);
    trace.embedded = undefined;
    trace.state = undefined;
    return { embedding, kernel, recurrentKernel, bias };
  });
}

/**
 * d loss / d z of every running position on the SIMD kernels, the state in the wasm heap (a row
 * per running position): per step, one kernel for the gate gradients and the cell carry, then the
 * product that carries d loss / d h_{t-1}. Disposes `state`.
 */
function gateGradientsInHeap(
  { kernels, address }: HeapKernels,
  weights: NetworkWeights,
  batch: InputBatch,
  state: StepState<tf.Tensor>,
  hiddenGradient: Float32Array,
): tf.Tensor {
  const { steps, size } = batch;
  const H = shapeOf(weights).hiddenSize;
  const G = 4 * H;
  const rows = state.gates.shape[0] as number;
  const starts = stepStarts(batch);
  const zeros = (length: number): tf.Tensor => createTensor([length], (values) => values.fill(0));
  const fromOutput = timePhase('copies', () =>
    createTensor([rows * H], (values) => {
      for (let t = 0; t < steps; t++) {
        const from = t * size * H;
        values.set(hiddenGradient.subarray(from, from + (batch.activeRows[t] as number) * H), (starts[t] as number) * H);
      }
    }),
  );
  const gateGradient = createTensor([rows, G], () => {});
  // Carries from step t + 1 to step t; rows that were padding at t + 1 carry nothing (zero).
  const [hiddenCarry, cellCarry, noCells] = [zeros(size * H), zeros(size * H), zeros(size * H)];
  const [gatesAt, cellsAt, cellTanhAt, fromOutputAt, gradientAt, recurrentAt] = [state.gates, state.cells, state.cellTanh, fromOutput, gateGradient, weights.recurrentKernel].map(
    address,
  ) as [number, number, number, number, number, number];
  const gateRow = (base: number, t: number): number => base + 4 * (starts[t] as number) * G;
  const unitRow = (base: number, t: number): number => base + 4 * (starts[t] as number) * H;
  for (let t = steps - 1; t >= 0; t--) {
    const active = batch.activeRows[t] as number;
    timePhase('gate gradients', () =>
      kernels.lstmBackward(
        gateRow(gatesAt, t),
        unitRow(cellTanhAt, t),
        t > 0 ? unitRow(cellsAt, t - 1) : address(noCells),
        unitRow(fromOutputAt, t),
        address(hiddenCarry),
        address(cellCarry),
        gateRow(gradientAt, t),
        active,
        H,
      ),
    );
    if (t > 0) timePhase('recurrent gradient product', () => kernels.nt(gateRow(gradientAt, t), recurrentAt, address(hiddenCarry), active, G, H, 0));
  }
  tf.dispose([fromOutput, hiddenCarry, cellCarry, noCells, ...Object.values(state)]);
  return gateGradient;
}

/** d loss / d z of every step as JavaScript loops and tensor products, on backends without the SIMD kernels. */
function gateGradientsInArrays(weights: NetworkWeights, batch: InputBatch, state: StepState<Float32Array>, hiddenGradient: Float32Array): Float32Array {
  const { steps, size } = batch;
  const { gates, cells, cellTanh } = state;
  const H = shapeOf(weights).hiddenSize;
  const G = 4 * H;
  const gateGradient = new Float32Array(steps * size * G);
  const recurrentTransposed = tf.transpose(weights.recurrentKernel);
  // Carries from step t + 1 to step t; rows that were padding at t + 1 carry nothing (zero).
  const hiddenCarry = new Float32Array(size * H);
  const cellCarry = new Float32Array(size * H);
  for (let t = steps - 1; t >= 0; t--) {
    const rowStart = t * size;
    const active = batch.activeRows[t] as number;
    timePhase('gate gradients', () => {
      for (let b = 0; b < active; b++) {
        const z = (rowStart + b) * G;
        const s = (rowStart + b) * H;
        const carry = b * H;
        const previousCell = s - size * H;
        for (let j = 0; j < H; j++) {
          const i = gates[z + j] as number;
          const f = gates[z + H + j] as number;
          const g = gates[z + 2 * H + j] as number;
          const o = gates[z + 3 * H + j] as number;
          const ct = cellTanh[s + j] as number;
          const dh = (hiddenGradient[s + j] as number) + (hiddenCarry[carry + j] as number);
          const dc = dh * o * (1 - ct * ct) + (cellCarry[carry + j] as number);
          const cPrevious = t > 0 ? (cells[previousCell + j] as number) : 0;
          gateGradient[z + j] = dc * g * i * (1 - i);
          gateGradient[z + H + j] = dc * cPrevious * f * (1 - f);
          gateGradient[z + 2 * H + j] = dc * i * (1 - g * g);
          gateGradient[z + 3 * H + j] = dh * ct * o * (1 - o);
          cellCarry[carry + j] = dc * f;
        }
      }
    });
    if (t > 0) {
      timePhase('recurrent gradient product', () => {
        const product = tf.tidy(() =>
          tf.matMul(
            createTensor([active, G], (values) => values.set(gateGradient.subarray(rowStart * G, (rowStart + active) * G))),
            recurrentTransposed,
          ),
        );
        hiddenCarry.set(readView(product));
        product.dispose();
      });
    }
  }
  recurrentTransposed.dispose();
  return gateGradient;
}
