/**
 * Messages between the training thread and its gradient workers (see `parallel-gradients.ts`).
 * Weights and gradients travel through shared memory; messages carry batches and totals.
 */
import type { BackendName } from '../backend.ts';
import { WEIGHT_KEYS, weightShapes, type NetworkShape, type WeightValues } from './network-weights.ts';
import type { SampledCandidates } from './sampled-softmax.ts';
import type { DropoutRates } from './training-step.ts';

/** Training thread -> worker. */
export type ToGradientWorker =
  | {
      type: 'init';
      backend: BackendName;
      shape: NetworkShape;
      /** All weights, concatenated in `WEIGHT_KEYS` order; written by the training thread. */
      weights: SharedArrayBuffer;
      /** The worker's gradients, same layout; written by the worker. */
      gradients: SharedArrayBuffer;
    }
  | {
      type: 'step';
      steps: number;
      size: number;
      inputs: Int32Array;
      activeRows: Int32Array;
      targetPositions: Int32Array;
      targetIds: Int32Array;
      dropout: DropoutRates;
      dropoutSeed: number;
      candidates?: SampledCandidates;
    };

/** Worker -> training thread. */
export type FromGradientWorker =
  | { type: 'ready' }
  | { type: 'done'; lossSum: number; targetCount: number }
  | { type: 'error'; message: string };

/** A shared buffer with room for every weight of a network. */
export function sharedBufferFor(shape: NetworkShape): SharedArrayBuffer {
  const size = Object.values(weightShapes(shape)).reduce((total, s) => total + s.reduce((a, b) => a * b, 1), 0);
  return new SharedArrayBuffer(size * 4);
}

/** Views of every weight inside a buffer from {@link sharedBufferFor}, in `WEIGHT_KEYS` order. */
export function sharedWeightViews(shape: NetworkShape, buffer: SharedArrayBuffer): WeightValues {
  const shapes = weightShapes(shape);
  let offset = 0;
  const views = WEIGHT_KEYS.map((key) => {
    const size = shapes[key].reduce((a, b) => a * b, 1);
    const view = new Float32Array(buffer, offset * 4, size);
    offset += size;
    return [key, view];
  });
  return Object.fromEntries(views) as WeightValues;
}
