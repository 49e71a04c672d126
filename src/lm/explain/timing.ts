/**
 * Measured cost of the recurrence: a forward pass must run its time steps one after another, so
 * its time grows with the input length, while the same number of LSTM cell updates spread over
 * a batch run in a single step.
 *
 * @module
 */
import { contextsToBatch } from '../engine/batches.ts';
import { runLstm } from '../engine/lstm-forward.ts';
import type { LstmLanguageModel } from '../model.ts';
import { FIRST_WORD_ID } from '../special-tokens.ts';

/** Timings for one input length, each the median of the repeats, in milliseconds. */
export interface ForwardTiming {
  length: number;
  /** A whole prediction (embedding, `length` LSTM steps, output softmax) for one input. */
  forwardMs: number;
  /** The LSTM alone: `length` steps in sequence over one input. */
  sequentialMs: number;
  /** The LSTM alone: one step over a batch of `length` inputs, the same number of cell updates. */
  batchedMs: number;
}

/** The result of {@link timeForwardPasses}. */
export interface ForwardTimings {
  timings: ForwardTiming[];
  /** Least-squares slope of `forwardMs` over the length: the cost of one more time step. */
  msPerStep: number;
  /** Least-squares intercept: the cost that does not depend on the length (output layer, overhead). */
  fixedMs: number;
  repeats: number;
}

/**
 * Times forward passes of `model` for each input length (median of `repeats` runs after one
 * warm-up run). Inputs cycle through `ids` (default: the first real words): the cost does not
 * depend on which words they are.
 */
export function timeForwardPasses(
  model: LstmLanguageModel,
  lengths: readonly number[],
  repeats: number,
  ids: readonly number[] = [FIRST_WORD_ID],
): ForwardTimings {
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`repeats must be a positive integer, got ${repeats}`);
  if (lengths.length === 0 || lengths.some((length) => !Number.isInteger(length) || length < 1)) {
    throw new RangeError('lengths must be positive integers');
  }
  if (ids.length === 0) throw new RangeError('ids must not be empty');
  const runs = lengths.map((length) => {
    const input = Array.from({ length }, (_, t) => ids[t % ids.length] as number);
    const sequence = contextsToBatch([input]);
    const batch = contextsToBatch(input.map((id) => [id]));
    return {
      length,
      forward: () => model.nextDistribution(input),
      sequential: () => runLstm(model.weights, sequence, false),
      batched: () => runLstm(model.weights, batch, false),
    };
  });
  const samples = runs.map(() => ({ forward: [] as number[], sequential: [] as number[], batched: [] as number[] }));
  // Repeats are interleaved across lengths so that a burst of load from elsewhere on the machine
  // spreads over all lengths instead of inflating one.
  for (let repeat = 0; repeat <= repeats; repeat++) {
    runs.forEach((run, index) => {
      const sample = samples[index]!;
      for (const kind of ['forward', 'sequential', 'batched'] as const) {
        const started = performance.now();
        run[kind]();
        const elapsed = performance.now() - started;
        // Run 0 warms up kernels and caches and is not counted.
        if (repeat > 0) sample[kind].push(elapsed);
      }
    });
  }
  const timings = runs.map((run, index) => {
    const sample = samples[index]!;
    return { length: run.length, forwardMs: median(sample.forward), sequentialMs: median(sample.sequential), batchedMs: median(sample.batched) };
  });
  const { slope, intercept } = leastSquares(timings.map((timing) => [timing.length, timing.forwardMs]));
  return { timings, msPerStep: slope, fixedMs: intercept, repeats };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function leastSquares(points: readonly (readonly [number, number])[]): { slope: number; intercept: number } {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  const slope = variance === 0 ? 0 : covariance / variance;
  return { slope, intercept: meanY - slope * meanX };
}
