/**
 * Weight tying (Press & Wolf 2017; Inan et al. 2017): the output layer's kernel is the transpose
 * of the embedding, so a word's input and output vectors are one set of parameters. Half the
 * parameters of a word-level model, and every output gradient also trains the embedding of the
 * word it scores, which matters most for the rare words a server's corpus is full of.
 *
 * The network keeps both matrices (it saves as an ordinary tf.layers model); training keeps them
 * equal: the two gradients are summed into the embedding's, and the output kernel is copied from
 * the updated embedding after every step.
 */
import * as tf from '@tensorflow/tfjs';
import { shapeOf, type NetworkGradients, type NetworkWeights } from './network-weights.ts';
import { createTensor, readView, replaceVariable } from './tensor-memory.ts';

/** Writes the transpose of `embedding` [vocabulary, width] into the first `width` rows of `output` [width + 1, vocabulary]. */
export function copyEmbeddingToOutput(embedding: Float32Array, output: Float32Array, vocabSize: number, width: number): void {
  for (let v = 0; v < vocabSize; v++) {
    const row = v * width;
    for (let j = 0; j < width; j++) output[j * vocabSize + v] = embedding[row + j] as number;
  }
}

/**
 * The gradients of a tied network: the embedding's gradient plus the transposed output-kernel
 * gradient, and an output gradient that keeps only the bias row. Disposes the gradients it replaces.
 */
export function tieGradients(weights: NetworkWeights, gradients: NetworkGradients): NetworkGradients {
  const { vocabSize: V, embeddingSize: E } = shapeOf(weights);
  const embedding = createTensor([V, E], (values) => {
    const fromEmbedding = readView(gradients.embedding);
    const fromOutput = readView(gradients.output);
    for (let v = 0; v < V; v++) {
      const row = v * E;
      for (let j = 0; j < E; j++) values[row + j] = (fromEmbedding[row + j] as number) + (fromOutput[j * V + v] as number);
    }
  });
  const output = createTensor([E + 1, V], (values) => {
    values.fill(0, 0, E * V);
    values.set(readView(gradients.output).subarray(E * V), E * V);
  });
  tf.dispose([gradients.embedding, gradients.output]);
  return { ...gradients, embedding, output };
}

/** Makes the output kernel the transpose of the embedding again, after an optimiser step. */
export function syncOutputToEmbedding(weights: NetworkWeights): void {
  const { vocabSize: V, embeddingSize: E } = shapeOf(weights);
  replaceVariable(weights.output, (current, next) => {
    copyEmbeddingToOutput(readView(weights.embedding), next, V, E);
    next.set(current.subarray(E * V), E * V);
  });
}
