/**
 * The forward pass of the Embedding -> LSTM -> Dense network, written for speed on the wasm
 * backend: the large matrix products run as single matMuls (the embedding lookup and the input
 * projection of all steps at once), and only the small [batch, hidden] x [hidden, 4 * hidden]
 * recurrent product and the gate arithmetic run once per step. On wasm the LSTM's state lives in
 * the backend's memory and each step is two calls of the project's SIMD kernels (the recurrent
 * product added in place, then the fused gate activations), with no copies and no tensor
 * operations per step. Other backends run the steps as tensor operations and JavaScript loops over
 * flat arrays. What the pass produces (the {@link LstmTrace}) feeds the output layer and the
 * backward pass (`lstm-backward.ts`).
 *
 * Layout: everything is time-major, position `p = t * batchSize + b` for step t of sequence b.
 * Gates follow the Keras order i, f, c (candidate), o, so weights load into tf.layers unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { shapeOf, type NetworkWeights } from './network-weights.ts';
import { timePhase } from './phase-profile.ts';
import { activeSimdKernels, type SimdKernels } from './simd-kernels.ts';
import { createTensor, readView } from './tensor-memory.ts';

/** Token ids of a batch of sequences, time-major and right-padded. */
export interface InputBatch {
  steps: number;
  size: number;
  /** [steps * size] token ids; padding positions hold any valid id (PAD). */
  inputs: Int32Array;
  /**
   * Sequences still running at each step. Rows are sorted longest first, so the running ones are
   * rows 0..activeRows[t]-1: the recurrence skips padding instead of computing and discarding it
   * (a third of the LSTM work in batches of natural sentences).
   */
  activeRows: Int32Array;
}

/**
 * The LSTM state the backward pass reads: JavaScript arrays with a row per position, or tensors in
 * the wasm heap with a row per running position (the rows of `running`, which keep each step's
 * rows together).
 */
export interface StepState<T> {
  /** [rows, 4 * hidden]: activated gates i, f, c, o. */
  gates: T;
  /** [rows, hidden]: cell state c_t. */
  cells: T;
  /** [rows, hidden]: tanh(c_t). */
  cellTanh: T;
}

/** The kernels and tensor addresses on wasm (see `activeSimdKernels`). */
export type HeapKernels = { kernels: SimdKernels; address(tensor: tf.Tensor): number };

/** What the forward pass of the LSTM produced, kept for the backward pass. */
export interface LstmTrace {
  steps: number;
  size: number;
  hiddenSize: number;
  /** [steps * size, hidden]: cell state c_t. */
  cells: Float32Array;
  /** [steps * size, hidden]: the LSTM output h_t. */
  hidden: Float32Array;
  /** With `keepForBackward`: the state in the wasm heap (the backward pass disposes it), or in arrays elsewhere. */
  state: { heap: StepState<tf.Tensor> } | { arrays: StepState<Float32Array> } | undefined;
  /** The positions that are not padding, in increasing order. */
  running: Int32Array;
  /** [running.length, embedding] embedded inputs (dropout applied), kept only when a backward pass follows. */
  embedded: tf.Tensor | undefined;
  /** The input dropout mask the forward pass applied, [running.length * embedding]. */
  inputMask: Float32Array | undefined;
}

/** Positions t * size + b of the running (non-padding) rows, in increasing order. */
function runningPositions(batch: InputBatch): Int32Array {
  let count = 0;
  for (const active of batch.activeRows) count += active;
  const running = new Int32Array(count);
  let next = 0;
  for (let t = 0; t < batch.steps; t++) {
    for (let b = 0; b < (batch.activeRows[t] as number); b++) running[next++] = t * batch.size + b;
  }
  return running;
}

/**
 * Runs the LSTM over a batch. With `keepForBackward`, the trace holds the embedded inputs and the
 * state the backward pass needs, which {@link backpropLstm} disposes. `inputMask(count)`, when
 * given, returns the dropout mask (already divided by the keep probability) of the `count`
 * embedding values fed to the LSTM.
 */
export function runLstm(
  weights: NetworkWeights,
  batch: InputBatch,
  keepForBackward: boolean,
  inputMask?: (count: number) => Float32Array,
): LstmTrace {
  const { steps, size } = batch;
  const { embeddingSize: E, hiddenSize: H } = shapeOf(weights);
  const G = 4 * H;
  const positions = steps * size;
  const running = runningPositions(batch);
  const mask = inputMask?.(running.length * E);
  // Rows copied from the table (ids are checked by callers): the backend's gather costs several
  // times more for these few thousand rows.
  const embedded = timePhase('embedding lookup', () =>
    createTensor([running.length, E], (values) => {
      const table = readView(weights.embedding);
      for (let row = 0; row < running.length; row++) {
        const from = (batch.inputs[running[row] as number] as number) * E;
        if (mask === undefined) {
          values.set(table.subarray(from, from + E), row * E);
        } else {
          for (let k = 0; k < E; k++) values[row * E + k] = (table[from + k] as number) * (mask[row * E + k] as number);
        }
      }
    }),
  );
  // The candidate block of every pre-activation is doubled, so that one sigmoid serves all gates
  // (tanh(x) = 2 sigmoid(2x) - 1).
  const blockScale = Float32Array.from({ length: G }, (_, k) => (k >= 2 * H && k < 3 * H ? 2 : 1));
  const [scaledKernel, scaledRecurrent, scaledBias] = tf.tidy(() => {
    const scale = tf.tensor1d(blockScale);
    return [weights.kernel, weights.recurrentKernel, weights.bias].map((weight) => tf.mul(weight, scale)) as [tf.Tensor, tf.Tensor, tf.Tensor];
  });
  // (x W) * scale of the running positions, in their order.
  const projected = timePhase('input projection', () => tf.matMul(embedded, scaledKernel));
  const simd = activeSimdKernels();
  try {
    if (simd !== undefined) {
      const { state, cells, hidden } = lstmStepsInHeap(simd, batch, H, projected, scaledRecurrent, scaledBias);
      if (keepForBackward) return { steps, size, hiddenSize: H, cells, hidden, running, state: { heap: state }, embedded, inputMask: mask };
      tf.dispose(Object.values(state));
      return { steps, size, hiddenSize: H, cells, hidden, running, state: undefined, embedded: undefined, inputMask: undefined };
    }
    // (x W + b) * scale at every running position (zero at padding); overwritten step by step with
    // the activated gates.
    const gates = timePhase('input projection', () => {
      const values = new Float32Array(positions * G);
      const inputPart = readView(projected);
      const bias = readView(scaledBias);
      for (let row = 0; row < running.length; row++) {
        const to = (running[row] as number) * G;
        for (let k = 0; k < G; k++) values[to + k] = (inputPart[row * G + k] as number) + (bias[k] as number);
      }
      return values;
    });
    projected.dispose();
    const state = { gates, cells: new Float32Array(positions * H), cellTanh: new Float32Array(positions * H) };
    const hidden = lstmStepsInArrays(batch, H, scaledRecurrent, state);
    return keepForBackward
      ? { steps, size, hiddenSize: H, cells: state.cells, hidden, running, state: { arrays: state }, embedded, inputMask: mask }
      : { steps, size, hiddenSize: H, cells: state.cells, hidden, running, state: undefined, embedded: undefined, inputMask: undefined };
  } finally {
    tf.dispose([scaledKernel, scaledRecurrent, scaledBias]);
    if (!keepForBackward) embedded.dispose();
  }
}

/** Index of each step's first row among the running positions (rows 0..active - 1 of step t follow it). */
export function stepStarts(batch: InputBatch): Int32Array {
  const starts = new Int32Array(batch.steps);
  for (let t = 1; t < batch.steps; t++) starts[t] = (starts[t - 1] as number) + (batch.activeRows[t - 1] as number);
  return starts;
}

/**
 * The steps of the LSTM on the SIMD kernels, the state in the wasm heap with a row per running
 * position: the input projection `projected` becomes the gates; per step, the recurrent product
 * is added to them in place, then one kernel computes the gates, c_t, tanh(c_t) and h_t. Returns
 * the state tensors and copies of c_t and h_t with a row per position.
 */
function lstmStepsInHeap(
  { kernels, address }: HeapKernels,
  batch: InputBatch,
  H: number,
  projected: tf.Tensor,
  scaledRecurrent: tf.Tensor,
  scaledBias: tf.Tensor,
): { state: StepState<tf.Tensor>; cells: Float32Array; hidden: Float32Array } {
  const { steps, size } = batch;
  const G = 4 * H;
  const rows = projected.shape[0] as number;
  const starts = stepStarts(batch);
  const zeros = (length: number): tf.Tensor => createTensor([length], (values) => values.fill(0));
  const [cells, cellTanh, hidden, noCells] = [zeros(rows * H), zeros(rows * H), zeros(rows * H), zeros(size * H)];
  const [gatesAt, cellsAt, cellTanhAt, hiddenAt, recurrentAt, biasAt] = [projected, cells, cellTanh, hidden, scaledRecurrent, scaledBias].map(address) as [
    number, number, number, number, number, number,
  ];
  // Byte address of step t's first row.
  const gateRow = (t: number): number => gatesAt + 4 * (starts[t] as number) * G;
  const unitRow = (base: number, t: number): number => base + 4 * (starts[t] as number) * H;
  for (let t = 0; t < steps; t++) {
    const active = batch.activeRows[t] as number;
    if (t > 0) timePhase('recurrent product', () => kernels.nn(unitRow(hiddenAt, t - 1), recurrentAt, gateRow(t), active, H, G, 1));
    timePhase('gate activations', () =>
      kernels.lstmForward(gateRow(t), biasAt, t > 0 ? unitRow(cellsAt, t - 1) : address(noCells), unitRow(cellsAt, t), unitRow(cellTanhAt, t), unitRow(hiddenAt, t), active, H),
    );
  }
  const copies = timePhase('copies', () => ({ cells: byPosition(batch, readView(cells), H), hidden: byPosition(batch, readView(hidden), H) }));
  tf.dispose([hidden, noCells]);
  return { state: { gates: projected, cells, cellTanh }, ...copies };
}

/** Values with a row per running position, spread to a row per position (zero at padding). */
function byPosition(batch: InputBatch, values: Float32Array, width: number): Float32Array {
  const spread = new Float32Array(batch.steps * batch.size * width);
  let from = 0;
  for (let t = 0; t < batch.steps; t++) {
    const length = (batch.activeRows[t] as number) * width;
    spread.set(values.subarray(from, from + length), t * batch.size * width);
    from += length;
  }
  return spread;
}

/**
 * The steps of the LSTM as tensor operations and JavaScript loops, on backends without the SIMD
 * kernels: fills `state` and returns h_t.
 *
 * Every activation is a logistic sigmoid computed by the backend (vectorised on wasm, where
 * JavaScript's exp costs 10-20 ns): tanh(x) = 2 * sigmoid(2x) - 1.
 */
function lstmStepsInArrays(batch: InputBatch, H: number, scaledRecurrent: tf.Tensor, state: StepState<Float32Array>): Float32Array {
  const { steps, size } = batch;
  const G = 4 * H;
  const { gates, cells, cellTanh } = state;
  const hidden = new Float32Array(steps * size * H);
  for (let t = 0; t < steps; t++) {
    const rowStart = t * size;
    const active = batch.activeRows[t] as number;
    const stepGates = gates.subarray(rowStart * G, (rowStart + active) * G);
    const recurrent =
      t === 0
        ? undefined
        : timePhase('recurrent product', () =>
            tf.tidy(() =>
              tf.matMul(
                createTensor([active, H], (values) => values.set(hidden.subarray((rowStart - size) * H, (rowStart - size + active) * H))),
                scaledRecurrent,
              ),
            ),
          );
    timePhase('gate activations', () => {
      const z = createTensor([active, G], (values) => {
        if (recurrent === undefined) {
          values.set(stepGates);
          return;
        }
        const fromHidden = readView(recurrent);
        for (let k = 0; k < values.length; k++) values[k] = (stepGates[k] as number) + (fromHidden[k] as number);
      });
      recurrent?.dispose();
      const activated = tf.sigmoid(z);
      z.dispose();
      const twoC = createTensor([active, H], (values) => {
        const s = readView(activated);
        for (let b = 0; b < active; b++) {
          const row = b * G;
          const g0 = (rowStart + b) * G;
          const c0 = (rowStart + b) * H;
          for (let j = 0; j < H; j++) {
            const i = s[row + j] as number;
            const f = s[row + H + j] as number;
            const g = 2 * (s[row + 2 * H + j] as number) - 1;
            const o = s[row + 3 * H + j] as number;
            const c = t > 0 ? f * (cells[c0 - size * H + j] as number) + i * g : i * g;
            gates[g0 + j] = i;
            gates[g0 + H + j] = f;
            gates[g0 + 2 * H + j] = g;
            gates[g0 + 3 * H + j] = o;
            cells[c0 + j] = c;
            values[b * H + j] = 2 * c;
          }
        }
      });
      activated.dispose();
      const squashed = tf.sigmoid(twoC);
      twoC.dispose();
      const s = readView(squashed);
      for (let b = 0; b < active; b++) {
        const g0 = (rowStart + b) * G;
        const c0 = (rowStart + b) * H;
        for (let j = 0; j < H; j++) {
          const ct = 2 * (s[b * H + j] as number) - 1;
          cellTanh[c0 + j] = ct;
          hidden[c0 + j] = (gates[g0 + 3 * H + j] as number) * ct;
        }
      }
      squashed.dispose();
    });
  }
  return hidden;
}

/**
 * The output layer's input for chosen positions: rows of [h_t * scale, 1] (the 1 multiplies the
 * bias row of the output matrix). `scale` (dropout mask, already divided by the keep probability)
 * is per row and unit when given.
 */
export function outputInputs(trace: LstmTrace, positions: Int32Array, scale?: Float32Array): tf.Tensor {
  const H = trace.hiddenSize;
  const width = H + 1;
  return timePhase('copies', () =>
    createTensor([positions.length, width], (values) => {
      for (let row = 0; row < positions.length; row++) {
        const from = (positions[row] as number) * H;
        const to = row * width;
        if (scale === undefined) {
          values.set(trace.hidden.subarray(from, from + H), to);
        } else {
          const m = row * H;
          for (let j = 0; j < H; j++) values[to + j] = (trace.hidden[from + j] as number) * (scale[m + j] as number);
        }
        values[to + H] = 1;
      }
    }),
  );
}

/** Logits [rows, vocabulary] of output-layer inputs built by {@link outputInputs}. */
export function outputLogits(weights: NetworkWeights, inputs: tf.Tensor): tf.Tensor {
  return tf.matMul(inputs, weights.output);
}
