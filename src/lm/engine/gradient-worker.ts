/**
 * A gradient worker thread (started by `parallel-gradients.ts`): holds its own copy of the network
 * on its own backend and, for each part of a batch it receives, loads the current weights from
 * shared memory and writes the part's gradients back to shared memory.
 *
 * @module
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.ts';
import { Random } from '../random.ts';
import { sharedWeightViews, type FromGradientWorker, type ToGradientWorker } from './gradient-protocol.ts';
import { createWeights, type NetworkWeights, type WeightValues } from './network-weights.ts';
import { replaceVariable, readView } from './tensor-memory.ts';
import { lossAndGradients } from './training-step.ts';

if (!parentPort) throw new Error('gradient-worker.ts only runs as a worker thread');
const port = parentPort;
const post = (message: FromGradientWorker): void => port.postMessage(message);

let network:
  | { weights: NetworkWeights; sharedWeights: WeightValues; sharedGradients: WeightValues }
  | undefined;

port.on('message', (message: ToGradientWorker) => {
  void handle(message).catch((error: unknown) => post({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) }));
});

async function handle(message: ToGradientWorker): Promise<void> {
  if (message.type === 'init') {
    await initBackend(message.backend);
    const sharedWeights = sharedWeightViews(message.shape, message.weights);
    network = {
      weights: createWeights(message.shape, sharedWeights),
      sharedWeights,
      sharedGradients: sharedWeightViews(message.shape, message.gradients),
    };
    post({ type: 'ready' });
    return;
  }
  if (network === undefined) throw new Error('step before init');
  const { weights, sharedWeights, sharedGradients } = network;
  for (const key of Object.keys(weights) as (keyof NetworkWeights)[]) {
    replaceVariable(weights[key], (_, next) => next.set(sharedWeights[key]));
  }
  const { loss, targetCount, gradients } = lossAndGradients(weights, message, message.dropout, new Random(message.dropoutSeed), message.candidates);
  for (const key of Object.keys(gradients) as (keyof NetworkWeights)[]) sharedGradients[key].set(readView(gradients[key]));
  tf.dispose(Object.values(gradients));
  post({ type: 'done', lossSum: loss * targetCount, targetCount });
}
