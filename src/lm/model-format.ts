/**
 * The saved form of the next-word model: an ordinary tf.layers `Embedding -> LSTM -> Dense(softmax)`
 * sequential model as `tf.io` writes it, and the checks that a payload is one before its weights
 * are read back.
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightValues } from './engine/network-weights.ts';

/** A model as `tf.io` saves it: topology JSON, weight manifest and the weight bytes. */
export interface SerializedModel {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/** A serialized model that is corrupt or is not an Embedding -> LSTM -> Dense language model. */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

/** The tf.layers twin of the network. Zero initialisers: the weights are set right after. */
export function buildSequential(vocabSize: number, E: number, H: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: vocabSize, outputDim: E, inputShape: [null], embeddingsInitializer: 'zeros' }),
      tf.layers.lstm({
        units: H,
        returnSequences: true,
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        kernelInitializer: 'zeros',
        recurrentInitializer: 'zeros',
        biasInitializer: 'zeros',
        unitForgetBias: false,
      }),
      tf.layers.dense({ units: vocabSize, activation: 'softmax', kernelInitializer: 'zeros', biasInitializer: 'zeros' }),
    ],
  });
}

/** Cheap structural checks before tfjs parses anything, so garbage fails fast and clearly. */
export function checkArtifacts(serialized: SerializedModel): void {
  const fail = (reason: string): never => {
    throw new ModelFormatError(`Not a valid serialized model: ${reason}`);
  };
  if (typeof serialized !== 'object' || serialized === null) fail('expected an object');
  const { modelTopology, weightSpecs, weightData } = serialized;
  if (typeof modelTopology !== 'object' || modelTopology === null) fail('modelTopology is not an object');
  if (!Array.isArray(weightSpecs) || weightSpecs.length !== 6) fail('expected 6 weight specs (embedding, LSTM x3, dense x2)');
  if (!(weightData instanceof ArrayBuffer)) fail('weightData is not an ArrayBuffer');
  let bytes = 0;
  for (const spec of weightSpecs) {
    if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.shape) || spec.dtype !== 'float32') {
      fail('every weight spec must be a float32 entry with a shape');
    }
    if (!spec.shape.every((d) => Number.isInteger(d) && d > 0)) fail(`weight ${spec.name} has an invalid shape`);
    bytes += 4 * spec.shape.reduce((a, b) => a * b, 1);
  }
  if (bytes !== weightData.byteLength) fail(`the weight specs need ${bytes} bytes but weightData holds ${weightData.byteLength}`);
}

/** Reads the weights of a loaded tf.layers model after checking it is the expected network. */
export function extractWeights(loaded: tf.LayersModel): {
  vocabSize: number;
  values: WeightValues;
  architecture: { embeddingSize: number; hiddenSize: number };
} {
  const fail = (reason: string): never => {
    throw new ModelFormatError(`Not an Embedding -> LSTM -> Dense language model: ${reason}`);
  };
  const classes = loaded.layers.map((layer) => layer.getClassName());
  if (classes.join(',') !== 'Embedding,LSTM,Dense') fail(`layers are [${classes.join(', ')}]`);
  const lstmConfig = loaded.layers[1]?.getConfig() ?? {};
  const denseConfig = loaded.layers[2]?.getConfig() ?? {};
  if (lstmConfig['recurrentActivation'] !== 'sigmoid' || lstmConfig['activation'] !== 'tanh') fail('the LSTM must use sigmoid gates and tanh');
  if (lstmConfig['returnSequences'] !== true) fail('the LSTM must return sequences');
  if (denseConfig['activation'] !== 'softmax') fail('the dense layer must use softmax');
  if (denseConfig['useBias'] === false) fail('the dense layer must have a bias');
  const tensors = loaded.getWeights();
  if (tensors.length !== 6) fail(`expected 6 weight tensors, found ${tensors.length}`);
  const [embedding, kernel, recurrentKernel, bias, denseKernel, denseBias] = tensors as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const [V, E] = embedding.shape as [number, number];
  const H = recurrentKernel.shape[0] as number;
  const expected: [tf.Tensor, number[]][] = [
    [kernel, [E, 4 * H]],
    [recurrentKernel, [H, 4 * H]],
    [bias, [4 * H]],
    [denseKernel, [H, V]],
    [denseBias, [V]],
  ];
  for (const [tensor, shape] of expected) {
    if (tensor.shape.join('x') !== shape.join('x')) fail(`a weight has shape [${tensor.shape}] where [${shape}] was expected`);
  }
  const copy = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync() as Float32Array);
  const output = new Float32Array((H + 1) * V);
  output.set(copy(denseKernel));
  output.set(copy(denseBias), H * V);
  for (const value of [embedding, kernel, recurrentKernel, bias, denseKernel, denseBias]) {
    if (!(value.dataSync() as Float32Array).every(Number.isFinite)) fail('the weights contain NaN or infinite values');
  }
  return {
    vocabSize: V,
    values: { embedding: copy(embedding), kernel: copy(kernel), recurrentKernel: copy(recurrentKernel), bias: copy(bias), output },
    architecture: { embeddingSize: E, hiddenSize: H },
  };
}
