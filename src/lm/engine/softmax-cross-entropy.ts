/**
 * Softmax cross-entropy over the vocabulary. The softmax itself runs as one wasm kernel call
 * (vectorised exp, ~1 ns per value; JavaScript's exp costs 10-20 ns and the [targets, vocabulary]
 * matrix holds millions of values per batch); loss, hits and the gradient `softmax - onehot` then
 * need only one value per row in JavaScript.
 */
import * as tf from '@tensorflow/tfjs';
import { readView } from './tensor-memory.ts';

/** Loss of a batch of rows and, for training, its gradient with respect to the logits. */
export interface CrossEntropyGradient {
  /** Sum over rows of -log p(target). */
  lossSum: number;
  /** `softmax(logits) - onehot(targets)`, [rows, vocabulary]; the caller disposes it. */
  gradient: tf.Tensor;
}

/** Loss and top-1 hits of a batch of rows. */
export interface CrossEntropyScore {
  /** Sum over rows of -log p(target). */
  lossSum: number;
  /** Rows whose most probable id is the target. */
  correct: number;
}

/** Below this, a probability may have underflowed in float32: its loss is recomputed exactly. */
const UNDERFLOW = 1e-30;

/** Cross-entropy of `logits` [rows, vocabulary] against one target id per row, with its gradient. */
export function crossEntropyWithGradient(logits: tf.Tensor, targets: Int32Array): CrossEntropyGradient {
  const probabilities = tf.softmax(logits);
  const width = logits.shape[1] as number;
  // The softmax output is ours alone: subtracting the one-hot in place makes it the gradient.
  const values = readView(probabilities);
  let lossSum = 0;
  for (let row = 0; row < targets.length; row++) {
    const at = row * width + (targets[row] as number);
    lossSum += targetLoss(values[at] as number, logits, row, targets[row] as number);
    values[at] = (values[at] as number) - 1;
  }
  return { lossSum, gradient: probabilities };
}

/** Cross-entropy and top-1 hits of `logits` [rows, vocabulary] against one target id per row. */
export function crossEntropyScore(logits: tf.Tensor, targets: Int32Array): CrossEntropyScore {
  const probabilities = tf.softmax(logits);
  const width = logits.shape[1] as number;
  const values = readView(probabilities);
  let lossSum = 0;
  let correct = 0;
  for (let row = 0; row < targets.length; row++) {
    const start = row * width;
    const target = targets[row] as number;
    const p = values[start + target] as number;
    lossSum += targetLoss(p, logits, row, target);
    let beaten = false;
    for (let k = start; k < start + width && !beaten; k++) beaten = (values[k] as number) > p;
    if (!beaten) correct++;
  }
  probabilities.dispose();
  return { lossSum, correct };
}

/** Softmax of each row of `logits` [rows, vocabulary], as one array per row. */
export function softmaxRows(logits: tf.Tensor): Float32Array[] {
  const probabilities = tf.softmax(logits);
  const width = logits.shape[1] as number;
  const values = readView(probabilities);
  const rows = Array.from({ length: logits.shape[0] as number }, (_, row) => values.slice(row * width, (row + 1) * width));
  probabilities.dispose();
  return rows;
}

/** -log p, recomputed from the logits by log-sum-exp when p may have underflowed (rare). */
function targetLoss(p: number, logits: tf.Tensor, row: number, target: number): number {
  if (p > UNDERFLOW || Number.isNaN(p)) return -Math.log(p);
  const width = logits.shape[1] as number;
  const values = readView(logits).subarray(row * width, (row + 1) * width);
  let max = -Infinity;
  for (const v of values) max = Math.max(max, v);
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum) - (values[target] as number);
}
