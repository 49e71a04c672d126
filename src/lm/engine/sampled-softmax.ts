/**
 * Sampled softmax (Jean et al. 2015, as TensorFlow's `sampled_softmax_loss`): a training step
 * scores each target against a shared sample of the vocabulary instead of all of it. At a
 * 5,000-word vocabulary the output layer is about three quarters of a step's arithmetic; scoring
 * 1,024 ids made training twice as fast (7,373 against 3,699 tokens/s for the 64 / 128 reference
 * network, measured before the SIMD matrix kernels sped the full softmax up), and validation,
 * evaluation and prediction still use the full softmax.
 *
 * Each row's loss is the softmax cross-entropy of its target against the sampled ids, every logit
 * lowered by the log of the id's expected count in the sample (so that no id is favoured for
 * being sampled often), and a sampled id equal to the row's own target left out.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random.ts';
import { crossEntropyWithGradient } from './softmax-cross-entropy.ts';
import { timePhase } from './phase-profile.ts';
import { createTensor, readView } from './tensor-memory.ts';

/** The ids one training step scores its targets against. */
export interface SampledCandidates {
  /** Distinct sampled ids. */
  ids: Int32Array;
  /** log of each vocabulary id's expected count in the sample ([vocabulary]). */
  logExpectedCounts: Float32Array;
}

/** Output-layer loss and gradients of a batch (the sum over rows, not yet averaged). */
export interface OutputGradients {
  lossSum: number;
  /** d loss / d output matrix, [hidden + 1, vocabulary]. */
  output: tf.Tensor;
  /** d loss / d output-layer inputs, [rows, hidden + 1]. */
  inputs: tf.Tensor;
}

/**
 * Draws distinct ids from a proposal distribution: the unigram frequency of the training targets
 * (plus one, so that no id is never drawn), which puts the frequent words, the ones every target
 * competes with, in nearly every sample.
 */
export class CandidateSampler {
  private readonly cumulative: Float64Array;
  private readonly logOneMinusProbability: Float64Array;

  /**
   * @param targetCounts how often each id is a training target ([vocabulary]).
   * @param sampleSize distinct ids per sample; less than the vocabulary.
   */
  constructor(
    targetCounts: ArrayLike<number>,
    readonly sampleSize: number,
  ) {
    const size = targetCounts.length;
    if (!Number.isInteger(sampleSize) || sampleSize < 1 || sampleSize >= size) {
      throw new RangeError(`sampleSize must be an integer in [1, ${size}), got ${sampleSize}`);
    }
    let total = 0;
    for (let id = 0; id < size; id++) total += (targetCounts[id] as number) + 1;
    this.cumulative = new Float64Array(size);
    this.logOneMinusProbability = new Float64Array(size);
    let running = 0;
    for (let id = 0; id < size; id++) {
      const probability = ((targetCounts[id] as number) + 1) / total;
      running += probability;
      this.cumulative[id] = running;
      this.logOneMinusProbability[id] = Math.log1p(-probability);
    }
  }

  /** One sample of {@link sampleSize} distinct ids, with the expected counts of every id. */
  draw(random: Random): SampledCandidates {
    const seen = new Uint8Array(this.cumulative.length);
    const ids = new Int32Array(this.sampleSize);
    let found = 0;
    let tries = 0;
    while (found < this.sampleSize) {
      tries++;
      const id = this.search(random.next() * (this.cumulative[this.cumulative.length - 1] as number));
      if (seen[id] === 1) continue;
      seen[id] = 1;
      ids[found++] = id;
    }
    // An id is in the sample when any of the draws hit it: 1 - (1 - q)^tries.
    const logExpectedCounts = Float32Array.from(this.logOneMinusProbability, (logMiss) => Math.log(-Math.expm1(tries * logMiss)));
    return { ids, logExpectedCounts };
  }

  /** The first id whose cumulative probability exceeds `u`. */
  private search(u: number): number {
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.cumulative[middle] as number) > u) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}

/**
 * Loss and gradients of the output layer over every id (`candidates` undefined) or over a sample.
 *
 * @param output the output matrix [hidden + 1, vocabulary], its last row the bias.
 * @param inputs output-layer inputs [rows, hidden + 1], see `outputInputs`.
 */
export function outputLayerGradients(
  output: tf.Tensor,
  inputs: tf.Tensor,
  targetIds: Int32Array,
  candidates?: SampledCandidates,
): OutputGradients {
  if (candidates === undefined) {
    const logits = timePhase('output projection', () => tf.matMul(inputs, output));
    const { lossSum, gradient } = timePhase('softmax', () => crossEntropyWithGradient(logits, targetIds));
    logits.dispose();
    const gradients = timePhase('output gradients', () => ({
      lossSum,
      output: tf.matMul(inputs, gradient, true, false),
      inputs: tf.matMul(gradient, output, false, true),
    }));
    gradient.dispose();
    return gradients;
  }
  return sampledGradients(output, inputs, targetIds, candidates);
}

function sampledGradients(output: tf.Tensor, inputs: tf.Tensor, targetIds: Int32Array, candidates: SampledCandidates): OutputGradients {
  const [width, vocabSize] = output.shape as [number, number];
  const rows = targetIds.length;
  const { ids, logExpectedCounts } = candidates;
  const columns = ids.length + 1;
  // Column 0 stands for each row's own target: zero here, its logit and gradients are added per
  // row below. Columns 1.. are the sampled ids.
  const sampledOutput = timePhase('output projection', () =>
    createTensor([width, columns], (values) => {
      const weights = readView(output);
      for (let j = 0; j < width; j++) {
        values[j * columns] = 0;
        for (let k = 0; k < ids.length; k++) values[j * columns + k + 1] = weights[j * vocabSize + (ids[k] as number)] as number;
      }
    }),
  );
  const logits = timePhase('output projection', () => tf.matMul(inputs, sampledOutput));
  timePhase('output projection', () => {
    const values = readView(logits);
    const inputValues = readView(inputs);
    const weights = readView(output);
    for (let row = 0; row < rows; row++) {
      const target = targetIds[row] as number;
      const at = row * columns;
      let targetLogit = 0;
      for (let j = 0; j < width; j++) targetLogit += (inputValues[row * width + j] as number) * (weights[j * vocabSize + target] as number);
      values[at] = targetLogit - (logExpectedCounts[target] as number);
      for (let k = 0; k < ids.length; k++) {
        const id = ids[k] as number;
        values[at + k + 1] = id === target ? Number.NEGATIVE_INFINITY : (values[at + k + 1] as number) - (logExpectedCounts[id] as number);
      }
    }
  });
  const { lossSum, gradient } = timePhase('softmax', () => crossEntropyWithGradient(logits, new Int32Array(rows)));
  logits.dispose();
  return timePhase('output gradients', () => sampledOutputGradients(output, inputs, targetIds, candidates, sampledOutput, gradient, lossSum));
}

/** The gradients of the sampled output layer, scattered back to the whole vocabulary; disposes `sampledOutput` and `gradient`. */
function sampledOutputGradients(
  output: tf.Tensor,
  inputs: tf.Tensor,
  targetIds: Int32Array,
  { ids }: SampledCandidates,
  sampledOutput: tf.Tensor,
  gradient: tf.Tensor,
  lossSum: number,
): OutputGradients {
  const [width, vocabSize] = output.shape as [number, number];
  const rows = targetIds.length;
  const columns = ids.length + 1;
  const inputsGradient = tf.matMul(gradient, sampledOutput, false, true);
  const sampledOutputGradient = tf.matMul(inputs, gradient, true, false);
  sampledOutput.dispose();
  const outputGradient = createTensor([width, vocabSize], (values) => {
    values.fill(0);
    const sampled = readView(sampledOutputGradient);
    for (let j = 0; j < width; j++) {
      for (let k = 0; k < ids.length; k++) values[j * vocabSize + (ids[k] as number)] = sampled[j * columns + k + 1] as number;
    }
    // Column 0's gradient belongs to each row's own target: its share of that target's output
    // column and of the row's input gradient.
    const g = readView(gradient);
    const inputValues = readView(inputs);
    const weights = readView(output);
    const inputGradients = readView(inputsGradient);
    for (let row = 0; row < rows; row++) {
      const target = targetIds[row] as number;
      const scale = g[row * columns] as number;
      for (let j = 0; j < width; j++) {
        const at = j * vocabSize + target;
        const input = row * width + j;
        values[at] = (values[at] as number) + scale * (inputValues[input] as number);
        inputGradients[input] = (inputGradients[input] as number) + scale * (weights[at] as number);
      }
    }
  });
  sampledOutputGradient.dispose();
  gradient.dispose();
  return { lossSum, output: outputGradient, inputs: inputsGradient };
}
