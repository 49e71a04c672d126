/**
 * Data-parallel gradients: each batch is split into parts, one computed on the training thread and
 * one on each gradient worker thread, and the parts' gradients are combined into the gradient of
 * the whole batch. On a machine with free cores this divides the time of the dominant matrix
 * products, which a single wasm thread already runs near its peak.
 *
 * Weights go to the workers and gradients come back through shared memory (a few MB per step,
 * copied in about a millisecond); messages carry only the batch parts and the totals.
 */
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { startTypeScriptWorker } from '../../threads/start-worker.ts';
import type { BackendName } from '../backend.ts';
import { Random } from '../random.ts';
import { makeBatch, type Sequence } from './batches.ts';
import { sharedBufferFor, sharedWeightViews, type FromGradientWorker, type ToGradientWorker } from './gradient-protocol.ts';
import { WEIGHT_KEYS, type NetworkGradients, type NetworkShape, type NetworkWeights, type WeightValues } from './network-weights.ts';
import { createTensor, readView } from './tensor-memory.ts';
import type { SampledCandidates } from './sampled-softmax.ts';
import { lossAndGradients, type BatchGradients, type DropoutRates } from './training-step.ts';

const WORKER_URL = new URL('./gradient-worker.ts', import.meta.url);

interface Helper {
  worker: Worker;
  gradients: WeightValues;
  /** Settles the message the training thread is waiting for. */
  pending: { resolve(message: FromGradientWorker): void; reject(error: Error): void } | undefined;
  failure: Error | undefined;
}

/** Gradient workers sharing the batches of one training run. */
export class ParallelGradients {
  private constructor(
    private readonly helpers: Helper[],
    private readonly sharedWeights: WeightValues,
  ) {}

  /**
   * Starts `workers` gradient threads on `backend` (taking a second or two: each loads tfjs and
   * its own backend).
   */
  static async start(shape: NetworkShape, workers: number, backend: BackendName): Promise<ParallelGradients> {
    const weightsBuffer = sharedBufferFor(shape);
    const helpers = Array.from({ length: workers }, (): Helper => {
      const gradientsBuffer = sharedBufferFor(shape);
      const helper: Helper = {
        worker: startTypeScriptWorker(WORKER_URL),
        gradients: sharedWeightViews(shape, gradientsBuffer),
        pending: undefined,
        failure: undefined,
      };
      const fail = (error: Error): void => {
        helper.failure ??= error;
        helper.pending?.reject(helper.failure);
        helper.pending = undefined;
      };
      helper.worker.on('message', (message: FromGradientWorker) => {
        if (message.type === 'error') return fail(new Error(`gradient worker failed: ${message.message}`));
        const pending = helper.pending;
        helper.pending = undefined;
        pending?.resolve(message);
      });
      helper.worker.on('error', fail);
      helper.worker.on('exit', (code) => fail(new Error(`gradient worker exited (code ${code})`)));
      helper.worker.postMessage({ type: 'init', backend, shape, weights: weightsBuffer, gradients: gradientsBuffer } satisfies ToGradientWorker);
      return helper;
    });
    const pool = new ParallelGradients(helpers, sharedWeightViews(shape, weightsBuffer));
    try {
      await Promise.all(helpers.map((helper) => pool.reply(helper)));
    } catch (error) {
      await pool.dispose();
      throw error;
    }
    return pool;
  }

  /**
   * Mean loss over all targets of `sequences` and its gradient, the batch split into one part per
   * thread. Dropout masks of the workers' parts are drawn from seeds taken from `random`; all parts
   * share the `candidates` of a sampled softmax.
   */
  async lossAndGradients(
    weights: NetworkWeights,
    sequences: readonly Sequence[],
    dropout: DropoutRates,
    random: Random,
    candidates?: SampledCandidates,
  ): Promise<BatchGradients> {
    const parts = splitEvenly(sequences, this.helpers.length + 1);
    for (const key of WEIGHT_KEYS) this.sharedWeights[key].set(readView(weights[key]));
    const working = this.helpers.slice(0, parts.length - 1);
    const replies = working.map((helper, i) => {
      const batch = makeBatch(parts[i + 1] as Sequence[]);
      helper.worker.postMessage({
        type: 'step',
        ...batch,
        dropout,
        dropoutSeed: random.int(2 ** 31),
        ...(candidates === undefined ? {} : { candidates }),
      } satisfies ToGradientWorker);
      return this.reply(helper);
    });
    // A rejected reply must not go unobserved while this thread computes its own part.
    const settled = Promise.allSettled(replies);
    let own: BatchGradients;
    try {
      own = lossAndGradients(weights, makeBatch(parts[0] as Sequence[]), dropout, random, candidates);
    } finally {
      await settled;
    }
    const ownGradients = own.gradients;
    try {
      const totals = await Promise.all(replies);
      let lossSum = own.loss * own.targetCount;
      let targetCount = own.targetCount;
      const counts = totals.map((reply) => {
        if (reply.type !== 'done') throw new Error(`unexpected reply ${reply.type} from a gradient worker`);
        lossSum += reply.lossSum;
        targetCount += reply.targetCount;
        return reply.targetCount;
      });
      // Each part's gradient is of its own mean loss: weigh it by its share of the targets.
      const ownShare = own.targetCount / targetCount;
      const gradients = Object.fromEntries(
        WEIGHT_KEYS.map((key) => [
          key,
          createTensor(ownGradients[key].shape, (combined) => {
            const mine = readView(ownGradients[key]);
            for (let i = 0; i < combined.length; i++) combined[i] = ownShare * (mine[i] as number);
            working.forEach((helper, h) => {
              const theirs = helper.gradients[key];
              const share = (counts[h] as number) / targetCount;
              for (let i = 0; i < combined.length; i++) combined[i] = (combined[i] as number) + share * (theirs[i] as number);
            });
          }),
        ]),
      ) as NetworkGradients;
      return { loss: lossSum / targetCount, targetCount, gradients };
    } finally {
      tf.dispose(Object.values(ownGradients));
    }
  }

  /** Stops the worker threads. */
  async dispose(): Promise<void> {
    await Promise.all(this.helpers.map((helper) => helper.worker.terminate()));
  }

  private reply(helper: Helper): Promise<FromGradientWorker> {
    if (helper.failure !== undefined) return Promise.reject(helper.failure);
    return new Promise((resolve, reject) => {
      helper.pending = { resolve, reject };
    });
  }
}

/** Splits items into at most `parts` contiguous, non-empty slices of near-equal length. */
function splitEvenly<T>(items: readonly T[], parts: number): T[][] {
  const count = Math.min(parts, items.length);
  return Array.from({ length: count }, (_, p) =>
    items.slice(Math.round((p * items.length) / count), Math.round(((p + 1) * items.length) / count)),
  );
}
