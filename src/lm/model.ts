/**
 * The next-word model: Embedding(V, E) -> LSTM(H) -> Dense(V, softmax), with weights laid out
 * exactly like tf.layers so that it saves and loads as an ordinary `tf.sequential` model.
 */
import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../errors.ts';
import { Random } from './random.ts';
import type { Hyperparameters } from './hyperparameters.ts';
import { contextsToBatch } from './engine/batches.ts';
import { outputInputs, outputLogits, runLstm } from './engine/lstm-forward.ts';
import { createWeights, WEIGHT_KEYS, type NetworkWeights, type WeightValues } from './engine/network-weights.ts';
import { softmaxRows } from './engine/softmax-cross-entropy.ts';
import { copyEmbeddingToOutput } from './engine/tied-weights.ts';
import { createTensor, readView } from './engine/tensor-memory.ts';
import { buildSequential, checkArtifacts, extractWeights, ModelFormatError, type SerializedModel } from './model-format.ts';

/** Per-step internal states of one sequence (for explanations). */
export interface HiddenStates {
  /** h_t after each input id, [hidden] each. */
  hidden: Float32Array[];
  /** c_t after each input id, [hidden] each. */
  cells: Float32Array[];
}

/** The gradient of one output log-probability with respect to each input embedding. */
export interface InputGradients {
  /** log p(target | context). */
  logProbability: number;
  /** d log p / d embedding of each context position, [embedding] each. */
  gradients: Float32Array[];
  /** The embedding of each context position, [embedding] each. */
  embeddings: Float32Array[];
}

/** An Embedding -> LSTM -> Dense(softmax) next-word model over integer ids. */
export class LstmLanguageModel {
  private released = false;

  private constructor(
    /** The trainable weights (see {@link NetworkWeights} for the layout). */
    readonly weights: NetworkWeights,
    /** Settings the model was built and trained with. */
    readonly hyperparameters: Hyperparameters,
  ) {}

  /** A freshly initialised model (seeded by `hyperparameters.seed`). */
  static create(vocabSize: number, hyperparameters: Hyperparameters): LstmLanguageModel {
    if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new RangeError(`vocabSize must be an integer >= 2, got ${vocabSize}`);
    const { embeddingSize: E, hiddenSize: H } = hyperparameters;
    const random = new Random(hyperparameters.seed).fork('weights');
    const tied = hyperparameters.tiedWeights === true;
    const values: WeightValues = {
      embedding: initialEmbedding(random, vocabSize, E, tied),
      kernel: initialLstmMatrix(random, E, H),
      recurrentKernel: initialLstmMatrix(random, H, H),
      bias: initialLstmBias(random, H),
      output: initialOutput(random, H, vocabSize),
    };
    if (tied) copyEmbeddingToOutput(values.embedding, values.output, vocabSize, E);
    return LstmLanguageModel.fromWeightValues(values, vocabSize, hyperparameters);
  }

  /** A model holding copies of raw weight values in the {@link NetworkWeights} layout. */
  static fromWeightValues(values: WeightValues, vocabSize: number, hyperparameters: Hyperparameters): LstmLanguageModel {
    const { embeddingSize, hiddenSize } = hyperparameters;
    return new LstmLanguageModel(createWeights({ vocabSize, embeddingSize, hiddenSize }, values), { ...hyperparameters });
  }

  /** Ids in the vocabulary (the model's input and output width). */
  get vocabSize(): number {
    return this.weights.embedding.shape[0] as number;
  }

  get embeddingSize(): number {
    return this.weights.embedding.shape[1] as number;
  }

  get hiddenSize(): number {
    return this.weights.recurrentKernel.shape[0] as number;
  }

  /** Whether {@link dispose} has run. */
  get disposed(): boolean {
    return this.released;
  }

  /** Probabilities of the next id after `contextIds` (callers start the context with BOS). */
  nextDistribution(contextIds: readonly number[]): Float32Array {
    return this.nextDistributions([contextIds])[0] as Float32Array;
  }

  /** {@link nextDistribution} for several contexts at once (one LSTM pass over all of them). */
  nextDistributions(contexts: readonly (readonly number[])[]): Float32Array[] {
    if (contexts.length === 0) return [];
    contexts.forEach((context) => this.checkIds(context));
    const batch = contextsToBatch(contexts);
    const trace = runLstm(this.weights, batch, false);
    const lastPositions = Int32Array.from(contexts, (context, i) => (context.length - 1) * batch.size + (batch.rowOf[i] as number));
    return this.distributionsAt(trace, lastPositions);
  }

  /**
   * The distribution of the next id after every prefix of `ids`: entry t is p(· | ids[0..t]).
   * One pass over the sequence, for evaluation and explanations.
   */
  sequenceDistributions(ids: readonly number[]): Float32Array[] {
    this.checkIds(ids);
    const trace = runLstm(this.weights, contextsToBatch([ids]), false);
    return this.distributionsAt(trace, Int32Array.from(ids, (_, t) => t));
  }

  /** The LSTM's hidden and cell state after each id of `ids`. */
  hiddenStates(ids: readonly number[]): HiddenStates {
    this.checkIds(ids);
    const trace = runLstm(this.weights, contextsToBatch([ids]), false);
    const H = this.hiddenSize;
    const at = (values: Float32Array, t: number): Float32Array => values.slice(t * H, (t + 1) * H);
    return { hidden: ids.map((_, t) => at(trace.hidden, t)), cells: ids.map((_, t) => at(trace.cells, t)) };
  }

  /** Embeddings of `ids`, [ids.length, embedding]. The caller disposes the tensor. */
  embed(ids: readonly number[]): tf.Tensor2D {
    this.checkIds(ids);
    return tf.tidy(() => tf.gather(this.weights.embedding, tf.tensor1d(Int32Array.from(ids), 'int32')) as tf.Tensor2D);
  }

  /**
   * The network from embedded inputs [batch, steps, embedding] to logits [batch, steps, vocabulary]
   * and hidden states [batch, steps, hidden], built from differentiable tf ops so that `tf.grad`
   * can go through it (for explanations; training uses its own faster path). Call inside
   * `tf.tidy`.
   */
  forwardFromEmbeddings(embedded: tf.Tensor3D): { logits: tf.Tensor3D; hidden: tf.Tensor3D } {
    const [batchSize, steps, E] = embedded.shape;
    const H = this.hiddenSize;
    const V = this.vocabSize;
    const { kernel, recurrentKernel, bias, output } = this.weights;
    const projected = tf.add(tf.matMul(tf.reshape(embedded, [batchSize * steps, E]), kernel), bias);
    const perStep = tf.unstack(tf.reshape(projected, [batchSize, steps, 4 * H]), 1);
    let h: tf.Tensor2D = tf.zeros([batchSize, H]);
    let c: tf.Tensor2D = tf.zeros([batchSize, H]);
    const states: tf.Tensor2D[] = [];
    for (const x of perStep) {
      const z = tf.add(x, tf.matMul(h, recurrentKernel));
      const [zi, zf, zc, zo] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zc)));
      h = tf.mul(tf.sigmoid(zo), tf.tanh(c));
      states.push(h);
    }
    const hidden = tf.stack(states, 1) as tf.Tensor3D;
    const denseKernel = tf.slice(output, [0, 0], [H, V]);
    const denseBias = tf.reshape(tf.slice(output, [H, 0], [1, V]), [V]);
    const logits = tf.add(tf.matMul(tf.reshape(hidden, [batchSize * steps, H]), denseKernel), denseBias);
    return { logits: tf.reshape(logits, [batchSize, steps, V]), hidden };
  }

  /** The gradient of log p(targetId | contextIds) with respect to each context embedding. */
  inputGradients(contextIds: readonly number[], targetId: number): InputGradients {
    this.checkIds([...contextIds, targetId]);
    if (contextIds.length === 0) throw new RangeError('the context must hold at least one id');
    const steps = contextIds.length;
    return tf.tidy(() => {
      const embedded = tf.expandDims(this.embed(contextIds), 0) as tf.Tensor3D;
      const logProbability = (x: tf.Tensor): tf.Scalar => {
        const { logits } = this.forwardFromEmbeddings(x as tf.Tensor3D);
        const last = tf.reshape(tf.slice(logits, [0, steps - 1, 0], [1, 1, this.vocabSize]), [this.vocabSize]);
        return tf.gather(tf.logSoftmax(last), targetId) as tf.Scalar;
      };
      const { value, grad } = tf.valueAndGrad(logProbability)(embedded);
      const E = this.embeddingSize;
      const gradientValues = grad.dataSync();
      const embeddingValues = embedded.dataSync();
      const rows = (values: ArrayLike<number>): Float32Array[] =>
        contextIds.map((_, t) => Float32Array.from({ length: E }, (_, k) => values[t * E + k] as number));
      return { logProbability: value.dataSync()[0] as number, gradients: rows(gradientValues), embeddings: rows(embeddingValues) };
    });
  }

  /** An independent copy (own variables), e.g. to warm-start training without touching this one. */
  clone(hyperparameters: Hyperparameters = this.hyperparameters): LstmLanguageModel {
    return LstmLanguageModel.fromWeightValues(this.weightValues(), this.vocabSize, hyperparameters);
  }

  /** Copies of all weight values, in the {@link NetworkWeights} layout. */
  weightValues(): WeightValues {
    return Object.fromEntries(WEIGHT_KEYS.map((key) => [key, readView(this.weights[key]).slice()])) as WeightValues;
  }

  /** Overwrites all weights with values taken from {@link weightValues} of a same-shaped model. */
  setWeightValues(values: WeightValues): void {
    for (const key of WEIGHT_KEYS) {
      const variable = this.weights[key];
      const source = values[key];
      if (source.length !== variable.size) throw new RangeError(`${key}: expected ${variable.size} values, got ${source.length}`);
      const next = createTensor(variable.shape, (target) => target.set(source));
      variable.assign(next);
      next.dispose();
    }
  }

  /**
   * Saves as an equivalent `tf.sequential` (embedding -> lstm(returnSequences) -> dense softmax):
   * `LstmLanguageModel.deserialize` or `tf.loadLayersModel(tf.io.fromMemory(...))` load it back.
   */
  async serialize(): Promise<SerializedModel> {
    this.checkAlive();
    const sequential = buildSequential(this.vocabSize, this.embeddingSize, this.hiddenSize);
    try {
      const H = this.hiddenSize;
      const V = this.vocabSize;
      const { embedding, kernel, recurrentKernel, bias, output } = this.weights;
      const denseKernel = tf.slice(output, [0, 0], [H, V]);
      const denseBias = tf.reshape(tf.slice(output, [H, 0], [1, V]), [V]);
      sequential.setWeights([embedding, kernel, recurrentKernel, bias, denseKernel, denseBias]);
      tf.dispose([denseKernel, denseBias]);
      let saved: tf.io.ModelArtifacts | undefined;
      await sequential.save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      if (saved?.modelTopology === undefined || saved.weightSpecs === undefined || saved.weightData === undefined) {
        throw new Error('tf.io produced incomplete model artifacts');
      }
      const weightData = tf.io.CompositeArrayBuffer.join(saved.weightData);
      return { modelTopology: saved.modelTopology as object, weightSpecs: saved.weightSpecs, weightData };
    } finally {
      sequential.dispose();
    }
  }

  /**
   * Loads a model saved by {@link serialize} (or any tf.layers Embedding -> LSTM -> Dense softmax
   * model of the same layout) with the settings it was trained with. Throws {@link ModelFormatError} on a corrupt or
   * mismatched payload.
   */
  static async deserialize(
    serialized: SerializedModel,
    hyperparameters: Hyperparameters,
  ): Promise<LstmLanguageModel> {
    checkArtifacts(serialized);
    let loaded: tf.LayersModel;
    try {
      loaded = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: serialized.modelTopology,
          weightSpecs: serialized.weightSpecs,
          weightData: serialized.weightData,
        }),
      );
    } catch (error) {
      throw new ModelFormatError(`The model could not be loaded: ${errorMessage(error)}`);
    }
    try {
      const { vocabSize, values, architecture } = extractWeights(loaded);
      if (hyperparameters.embeddingSize !== architecture.embeddingSize || hyperparameters.hiddenSize !== architecture.hiddenSize) {
        throw new ModelFormatError(
          `The weights are E=${architecture.embeddingSize}, H=${architecture.hiddenSize} but the hyperparameters say E=${hyperparameters.embeddingSize}, H=${hyperparameters.hiddenSize}`,
        );
      }
      return LstmLanguageModel.fromWeightValues(values, vocabSize, hyperparameters);
    } finally {
      loaded.dispose();
    }
  }

  /** Releases the weights. Further use throws. */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    tf.dispose(WEIGHT_KEYS.map((key) => this.weights[key]));
  }

  private distributionsAt(trace: ReturnType<typeof runLstm>, positions: Int32Array): Float32Array[] {
    const inputs = outputInputs(trace, positions);
    const logits = outputLogits(this.weights, inputs);
    try {
      return softmaxRows(logits);
    } finally {
      tf.dispose([inputs, logits]);
    }
  }

  private checkIds(ids: readonly number[]): void {
    this.checkAlive();
    if (ids.length === 0) throw new RangeError('a context must hold at least one id (start it with BOS)');
    const V = this.vocabSize;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`id ${id} is outside the vocabulary [0, ${V})`);
    }
  }

  private checkAlive(): void {
    if (this.released) throw new Error('the model has been disposed');
  }
}

/**
 * A copy of `model` with a larger vocabulary: embedding rows and output columns of the old ids
 * are kept, those of the new ids are freshly initialised (seeded by the model's seed and the new
 * size). For incremental training after new words arrive; the original model is untouched.
 */
export function growVocabulary(model: LstmLanguageModel, newVocabSize: number): LstmLanguageModel {
  const V = model.vocabSize;
  if (!Number.isInteger(newVocabSize) || newVocabSize < V) {
    throw new RangeError(`the new vocabulary (${newVocabSize}) must be an integer >= the current one (${V})`);
  }
  const { embeddingSize: E, hiddenSize: H, hyperparameters } = model;
  const values = model.weightValues();
  const random = new Random(hyperparameters.seed).fork(`grow-${newVocabSize}`);
  const tied = hyperparameters.tiedWeights === true;
  const embedding = initialEmbedding(random, newVocabSize, E, tied);
  embedding.set(values.embedding);
  const output = initialOutput(random, H, newVocabSize);
  for (let row = 0; row <= H; row++) output.set(values.output.subarray(row * V, (row + 1) * V), row * newVocabSize);
  if (tied) copyEmbeddingToOutput(embedding, output, newVocabSize, E);
  return LstmLanguageModel.fromWeightValues({ ...values, embedding, output }, newVocabSize, hyperparameters);
}

// Initialisation follows PyTorch's defaults, which the reference measurements were made with:
// embeddings N(0, 1); LSTM and output weights U(-1/sqrt(H), 1/sqrt(H)). The forget-gate bias
// starts at 1 (as Keras' unitForgetBias) so that the cell keeps its memory early in training.
// A tied embedding is also the output kernel, so it starts at the output layer's scale.
function initialEmbedding(random: Random, vocabSize: number, E: number, tied: boolean): Float32Array {
  if (!tied) return random.normalArray(vocabSize * E);
  const bound = 1 / Math.sqrt(E);
  return random.uniformArray(vocabSize * E, -bound, bound);
}

function initialLstmMatrix(random: Random, rows: number, H: number): Float32Array {
  const bound = 1 / Math.sqrt(H);
  return random.uniformArray(rows * 4 * H, -bound, bound);
}

function initialLstmBias(random: Random, H: number): Float32Array {
  const bias = random.uniformArray(4 * H, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
  for (let j = H; j < 2 * H; j++) bias[j] = (bias[j] as number) + 1;
  return bias;
}

function initialOutput(random: Random, H: number, vocabSize: number): Float32Array {
  const bound = 1 / Math.sqrt(H);
  return random.uniformArray((H + 1) * vocabSize, -bound, bound);
}
