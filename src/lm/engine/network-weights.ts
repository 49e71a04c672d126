/**
 * The weights of the Embedding -> LSTM -> Dense network: their names, shapes and layout (that of
 * tf.layers, so they load into a tf.layers model unchanged), and the trainable variables made from
 * their values.
 */
import * as tf from '@tensorflow/tfjs';
import { createTensor } from './tensor-memory.ts';

/** The trainable weights, laid out like tf.layers (the dense bias is the last row of `output`). */
export interface NetworkWeights {
  /** [vocabulary, embedding] */
  embedding: tf.Variable;
  /** LSTM input kernel [embedding, 4 * hidden] */
  kernel: tf.Variable;
  /** LSTM recurrent kernel [hidden, 4 * hidden] */
  recurrentKernel: tf.Variable;
  /** LSTM bias [4 * hidden] */
  bias: tf.Variable;
  /**
   * Dense kernel [hidden, vocabulary] with the dense bias appended as row `hidden`: the bias then
   * rides along in the output matMul, and its gradient with it, instead of a column sum that wasm
   * runs slowly.
   */
  output: tf.Variable;
}

/** Gradients with the same names and shapes as {@link NetworkWeights}. */
export type NetworkGradients = Record<keyof NetworkWeights, tf.Tensor>;

/** Sizes of a network. */
export interface NetworkShape {
  vocabSize: number;
  embeddingSize: number;
  hiddenSize: number;
}

/** The weight names, in tf.layers order. */
export const WEIGHT_KEYS: readonly (keyof NetworkWeights)[] = ['embedding', 'kernel', 'recurrentKernel', 'bias', 'output'];

/** Raw values of every weight, in the {@link NetworkWeights} layout. */
export type WeightValues = Record<keyof NetworkWeights, Float32Array>;

/** The shape of each weight of a network. */
export function weightShapes({ vocabSize, embeddingSize: E, hiddenSize: H }: NetworkShape): Record<keyof NetworkWeights, number[]> {
  return { embedding: [vocabSize, E], kernel: [E, 4 * H], recurrentKernel: [H, 4 * H], bias: [4 * H], output: [H + 1, vocabSize] };
}

let networkCounter = 0;

/** Trainable variables holding copies of `values`. */
export function createWeights(shape: NetworkShape, values: WeightValues): NetworkWeights {
  const shapes = weightShapes(shape);
  // Variable names are global in tfjs: number them so that several networks can coexist.
  const prefix = `lstm-lm-${++networkCounter}`;
  const make = (key: keyof NetworkWeights): tf.Variable => {
    const size = shapes[key].reduce((a, b) => a * b, 1);
    if (values[key].length !== size) throw new RangeError(`${key}: expected ${size} values, got ${values[key].length}`);
    const initial = createTensor(shapes[key], (target) => target.set(values[key]));
    const variable = tf.variable(initial, true, `${prefix}/${key}`);
    initial.dispose();
    return variable;
  };
  return Object.fromEntries(WEIGHT_KEYS.map((key) => [key, make(key)])) as unknown as NetworkWeights;
}

/** Shape of the network a set of weights implements. */
export function shapeOf(weights: NetworkWeights): NetworkShape {
  const [vocabSize, embeddingSize] = weights.embedding.shape as [number, number];
  return { vocabSize, embeddingSize, hiddenSize: (weights.recurrentKernel.shape[0] as number) };
}
