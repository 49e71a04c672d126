/**
 * Gradient measurements of one prediction: how strongly the predicted word's log-probability
 * reacts to each input embedding, and how much gradient backpropagation through time carries
 * back to each earlier hidden and cell state.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { LstmLanguageModel } from '../model.ts';

/** The result of {@link stepGradients}: per context position t, with p = p(target | context). */
export interface StepGradients {
  /** log p(target | context), from the same pass. */
  logProbability: number;
  /** `‖∂ log p / ∂ e_t‖₂`, where `e_t` is the embedding of the word read at step t. */
  embedding: number[];
  /**
   * `e_t · ∂ log p / ∂ e_t` (gradient × input): a first-order estimate of how much the word raises
   * (positive) or lowers (negative) the log-probability.
   */
  gradientTimesInput: number[];
  /**
   * `‖∂ log p / ∂ h_t‖₂`: the gradient that backpropagation through time delivers to the hidden
   * state of step t through every later step (the last step's comes straight from the output layer).
   */
  hidden: number[];
  /** `‖∂ log p / ∂ c_t‖₂`, the same for the cell state. */
  cell: number[];
}

/**
 * How strongly log p(`targetId` | `contextIds`) reacts to each input embedding, and how much
 * gradient reaches each step's hidden and cell state: the quantities that vanish (or explode)
 * over long distances. One differentiable pass computes all of them.
 */
export function stepGradients(model: LstmLanguageModel, contextIds: readonly number[], targetId: number): StepGradients {
  if (!Number.isInteger(targetId) || targetId < 0 || targetId >= model.vocabSize) {
    throw new RangeError(`target id ${targetId} is outside the vocabulary [0, ${model.vocabSize})`);
  }
  const steps = contextIds.length;
  const H = model.hiddenSize;
  const E = model.embeddingSize;
  return tf.tidy(() => {
    const inputs = model.embed(contextIds);
    // Distinct probe tensors: tfjs keys gradients by tensor, so one tensor passed twice would get the sum.
    const probes = [tf.zeros([steps, H]), tf.zeros([steps, H])];
    const { value, grads } = tf.valueAndGrads((embedded: tf.Tensor, hiddenProbe: tf.Tensor, cellProbe: tf.Tensor) =>
      probedLogProbability(model, embedded as tf.Tensor2D, targetId, hiddenProbe as tf.Tensor2D, cellProbe as tf.Tensor2D),
    )([inputs, ...probes]);
    const [embeddingGradient, hiddenGradient, cellGradient] = (grads as tf.Tensor[]).map((gradient) => gradient.dataSync() as Float32Array) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const embeddings = inputs.dataSync() as Float32Array;
    const perStep = (values: Float32Array, width: number, measure: (row: Float32Array, t: number) => number): number[] =>
      Array.from({ length: steps }, (_, t) => measure(values.subarray(t * width, (t + 1) * width), t));
    return {
      logProbability: value.dataSync()[0] as number,
      embedding: perStep(embeddingGradient, E, norm),
      gradientTimesInput: perStep(embeddingGradient, E, (row, t) => dot(row, embeddings.subarray(t * E, (t + 1) * E))),
      hidden: perStep(hiddenGradient, H, norm),
      cell: perStep(cellGradient, H, norm),
    };
  });
}

/**
 * log p(target | inputs) computed with a zero-valued probe added to every hidden and cell state:
 * the gradient with respect to a probe is the gradient with respect to that state. The cell is
 * the model's own (Keras gate order i, f, c, o); `forwardFromEmbeddings` cannot serve here
 * because its states are internal to the pass (and it computes logits at every step, where only
 * the last is needed). Tests check both give the same probabilities and input gradients.
 */
function probedLogProbability(
  model: LstmLanguageModel,
  inputs: tf.Tensor2D,
  targetId: number,
  hiddenProbe: tf.Tensor2D,
  cellProbe: tf.Tensor2D,
): tf.Scalar {
  const H = model.hiddenSize;
  const V = model.vocabSize;
  const { kernel, recurrentKernel, bias, output } = model.weights;
  const projected = tf.unstack(tf.add(tf.matMul(inputs, kernel), bias));
  const hiddenProbes = tf.unstack(hiddenProbe);
  const cellProbes = tf.unstack(cellProbe);
  let h: tf.Tensor2D = tf.zeros([1, H]);
  let c: tf.Tensor2D = tf.zeros([1, H]);
  projected.forEach((x, t) => {
    const z = tf.add(tf.reshape(x, [1, 4 * H]), tf.matMul(h, recurrentKernel));
    const [zi, zf, zc, zo] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    c = tf.add(tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zc))), cellProbes[t] as tf.Tensor1D);
    h = tf.add(tf.mul(tf.sigmoid(zo), tf.tanh(c)), hiddenProbes[t] as tf.Tensor1D);
  });
  const logits = tf.add(tf.matMul(h, tf.slice(output, [0, 0], [H, V])), tf.reshape(tf.slice(output, [H, 0], [1, V]), [V]));
  return tf.gather(tf.reshape(tf.logSoftmax(logits), [V]), targetId) as tf.Scalar;
}

/** Drops beyond this factor are not reported (a gradient of exactly 0 would never end the list). */
const LARGEST_REPORTED_DROP = 1e15;

/**
 * For each power of ten, the step where the gradient first falls that many orders of magnitude
 * below the gradient at the last step, walking back in time. `drops[k]` is the step for 10^(k+1);
 * the list stops at the first power never reached.
 */
export function magnitudeDrops(norms: readonly number[]): { factor: number; step: number }[] {
  const reference = norms.at(-1);
  if (reference === undefined || !(reference > 0)) return [];
  const drops: { factor: number; step: number }[] = [];
  let factor = 10;
  for (let step = norms.length - 1; step >= 0; step--) {
    while (factor <= LARGEST_REPORTED_DROP && (norms[step] as number) <= reference / factor) {
      drops.push({ factor, step });
      factor *= 10;
    }
  }
  return drops;
}

function norm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < values.length; k++) sum += (values[k] as number) ** 2;
  return Math.sqrt(sum);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += (a[k] as number) * (b[k] as number);
  return sum;
}
