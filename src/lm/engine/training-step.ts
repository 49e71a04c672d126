/**
 * One forward and backward pass of the whole network over a batch, and its evaluation-only twin.
 * The output layer runs only on positions that have a target (padding never reaches the
 * [positions, vocabulary] products, the most expensive part of the network).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random.ts';
import type { TrainingBatch } from './batches.ts';
import { backpropLstm } from './lstm-backward.ts';
import { outputInputs, outputLogits, runLstm } from './lstm-forward.ts';
import type { NetworkGradients, NetworkWeights } from './network-weights.ts';
import { outputLayerGradients, type SampledCandidates } from './sampled-softmax.ts';
import { crossEntropyScore } from './softmax-cross-entropy.ts';
import { timePhase } from './phase-profile.ts';
import { readView } from './tensor-memory.ts';

/** Loss and gradients of a batch; the caller disposes the gradients. */
export interface BatchGradients {
  /** Mean cross-entropy over the batch's targets. */
  loss: number;
  targetCount: number;
  gradients: NetworkGradients;
}

/** Totals of an evaluation pass. */
export interface BatchScore {
  lossSum: number;
  correct: number;
  targetCount: number;
}

/**
 * Shares of units dropped on the non-recurrent connections (inverted dropout, as Zaremba et al.
 * regularise LSTM language models); the recurrence itself is left intact so memory is not disturbed.
 */
export interface DropoutRates {
  /** Embedding values on their way into the LSTM. */
  embedding: number;
  /** LSTM output units on their way to the output layer. */
  output: number;
}

/**
 * Mean cross-entropy of the batch and its gradient with respect to every weight, with dropout;
 * over a sample of the vocabulary when `candidates` are given (see `sampled-softmax.ts`).
 */
export function lossAndGradients(
  weights: NetworkWeights,
  batch: TrainingBatch,
  dropout: DropoutRates,
  random: Random,
  candidates?: SampledCandidates,
): BatchGradients {
  const count = batch.targetPositions.length;
  if (count === 0) throw new Error('a training batch needs at least one target');
  const trace = runLstm(weights, batch, true, dropout.embedding > 0 ? (size) => dropoutMask(size, dropout.embedding, random) : undefined);
  const H = trace.hiddenSize;
  const mask = dropout.output > 0 ? dropoutMask(count * H, dropout.output, random) : undefined;
  const inputs = outputInputs(trace, batch.targetPositions, mask);
  const { lossSum, output: outputGradient, inputs: inputsGradient } = outputLayerGradients(weights.output, inputs, batch.targetIds, candidates);
  inputs.dispose();
  // The loss is a mean over targets: 1 / count scales every gradient.
  const scale = 1 / count;
  const output = timePhase('output gradients', () => tf.tidy(() => tf.mul(outputGradient, scale)));
  outputGradient.dispose();

  const hiddenGradient = new Float32Array(trace.hidden.length);
  timePhase('copies', () => {
    const rows = readView(inputsGradient);
    for (let row = 0; row < count; row++) {
      const to = (batch.targetPositions[row] as number) * H;
      const from = row * (H + 1);
      for (let j = 0; j < H; j++) {
        const g = (rows[from + j] as number) * scale;
        hiddenGradient[to + j] = mask === undefined ? g : g * (mask[row * H + j] as number);
      }
    }
  });
  inputsGradient.dispose();
  const lstm = backpropLstm(weights, trace, batch, hiddenGradient);
  return { loss: lossSum / count, targetCount: count, gradients: { ...lstm, output } };
}

/** Loss and top-1 hits of the network on a batch, without gradients or dropout. */
export function scoreBatch(weights: NetworkWeights, batch: TrainingBatch): BatchScore {
  const trace = runLstm(weights, batch, false);
  const inputs = outputInputs(trace, batch.targetPositions);
  const logits = outputLogits(weights, inputs);
  const { lossSum, correct } = crossEntropyScore(logits, batch.targetIds);
  tf.dispose([inputs, logits]);
  return { lossSum, correct, targetCount: batch.targetPositions.length };
}

/** Inverted-dropout mask: 0 with probability `rate`, else 1 / (1 - rate). */
function dropoutMask(size: number, rate: number, random: Random): Float32Array {
  const keep = 1 / (1 - rate);
  const mask = new Float32Array(size);
  for (let k = 0; k < size; k++) mask[k] = random.next() < rate ? 0 : keep;
  return mask;
}
