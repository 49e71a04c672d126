/**
 * Softmax cross-entropy over the vocabulary in one JavaScript pass per row: loss, top-1 hits and
 * the gradient with respect to the logits, `(softmax - onehot) * scale`, without building the
 * softmax, its log, a one-hot matrix or their autodiff graph as separate [rows, vocabulary]
 * tensors.
 */
import type * as tf from '@tensorflow/tfjs';
import { createTensor, readView } from './tensor-memory.ts';
import { fastExp } from './fast-math.ts';

/** Totals over the rows of one call. */
export interface CrossEntropyResult {
  /** Sum over rows of -log p(target). */
  lossSum: number;
  /** Rows whose most probable id is the target. */
  correct: number;
  /** d loss / d logits scaled by `gradientScale`, when a gradient was asked for. */
  gradient: tf.Tensor | undefined;
}

/**
 * @param logits [rows, vocabulary]
 * @param targets the target id of each row
 * @param gradientScale when given, also returns the gradient multiplied by it (e.g. 1 / rows for
 *   a mean loss)
 */
export function softmaxCrossEntropy(logits: tf.Tensor, targets: Int32Array, gradientScale?: number): CrossEntropyResult {
  const [rows, width] = logits.shape as [number, number];
  let lossSum = 0;
  let correct = 0;
  const scoreRow = (row: number, values: Float32Array, exps: Float32Array | undefined): void => {
    const start = row * width;
    const target = targets[row] as number;
    let max = -Infinity;
    let best = 0;
    for (let k = 0; k < width; k++) {
      const v = values[start + k] as number;
      if (v > max) {
        max = v;
        best = k;
      }
    }
    let sum = 0;
    if (exps === undefined) {
      for (let k = 0; k < width; k++) sum += fastExp((values[start + k] as number) - max);
    } else {
      for (let k = 0; k < width; k++) {
        const e = fastExp((values[start + k] as number) - max);
        exps[start + k] = e;
        sum += e;
      }
      const factor = (gradientScale as number) / sum;
      for (let k = 0; k < width; k++) exps[start + k] = (exps[start + k] as number) * factor;
      exps[start + target] = (exps[start + target] as number) - (gradientScale as number);
    }
    lossSum += max + Math.log(sum) - (values[start + target] as number);
    if (best === target) correct++;
  };

  if (gradientScale === undefined) {
    const values = readView(logits);
    for (let row = 0; row < rows; row++) scoreRow(row, values, undefined);
    return { lossSum, correct, gradient: undefined };
  }
  const gradient = createTensor([rows, width], (out) => {
    const values = readView(logits);
    for (let row = 0; row < rows; row++) scoreRow(row, values, out);
  });
  return { lossSum, correct, gradient };
}

/** Softmax of each row of `logits` [rows, vocabulary], as one array per row. */
export function softmaxRows(logits: tf.Tensor): Float32Array[] {
  const [rows, width] = logits.shape as [number, number];
  const values = readView(logits);
  const result: Float32Array[] = [];
  for (let row = 0; row < rows; row++) {
    const probabilities = values.slice(row * width, (row + 1) * width);
    let max = -Infinity;
    for (let k = 0; k < width; k++) max = Math.max(max, probabilities[k] as number);
    let sum = 0;
    for (let k = 0; k < width; k++) {
      const e = Math.exp((probabilities[k] as number) - max);
      probabilities[k] = e;
      sum += e;
    }
    for (let k = 0; k < width; k++) probabilities[k] = (probabilities[k] as number) / sum;
    result.push(probabilities);
  }
  return result;
}
