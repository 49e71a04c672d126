/**
 * Training of the next-word model: full-sequence teacher forcing (every next word of every
 * sentence is a target), Adam, seeded shuffling, validation with early stopping.
 */
import * as tf from '@tensorflow/tfjs';
import { LstmLanguageModel } from './model.ts';
import { validateHyperparameters, type Hyperparameters } from './hyperparameters.ts';
import { Random } from './random.ts';
import { makeBatch, sentenceToSequences, type Sequence, type TrainingBatch } from './engine/batches.ts';
import { lossAndGradients, scoreBatch, type DropoutRates } from './engine/training-step.ts';
import { ParallelGradients } from './engine/parallel-gradients.ts';
import type { BackendName } from './backend.ts';
import type { NetworkGradients, NetworkWeights, WeightValues } from './engine/network-weights.ts';
import { readView } from './engine/tensor-memory.ts';
import { AdamOptimizer } from './engine/adam.ts';
import { PieceEmbeddings } from './engine/piece-embeddings.ts';
import { CandidateSampler } from './engine/sampled-softmax.ts';
import { PAD } from './special-tokens.ts';
import { unknownWordReplacer } from './unknown-words.ts';
import { syncOutputToEmbedding, tieGradients } from './engine/tied-weights.ts';
import { AVERAGED_SNAPSHOTS_PER_EPOCH, WeightAverage } from './weight-average.ts';
import {
  TrainingAbortedError,
  TrainingDivergedError,
  type EpochMetrics,
  type TrainerResult,
  type TrainingData,
  type TrainingOptions,
} from './training-types.ts';

/** The learning rate is multiplied by this after each epoch that does not improve validation loss. */
export const PLATEAU_LEARNING_RATE_FACTOR = 0.5;

/**
 * Trains a model on `data` (see {@link TrainingData}).
 *
 * Each sentence becomes the input `[BOS, w1..wn]` with targets `[w1..wn, EOS]`; sentences longer
 * than `contextLength` are cut into overlapping windows in which every word is a target once
 * (see `sentenceToSequences`). The loss is the mean cross-entropy over all targets of a batch,
 * padding excluded. A fixed `seed` gives the same run on the same backend.
 */
export async function trainLanguageModel(
  data: TrainingData,
  vocabSize: number,
  hyperparameters: Hyperparameters,
  options: TrainingOptions = {},
): Promise<TrainerResult> {
  const session = await TrainingSession.open(data, vocabSize, hyperparameters, options);
  try {
    while (!session.done && session.canAffordEpoch(options.deadline)) await session.trainEpoch();
    return session.finish();
  } finally {
    await session.dispose();
  }
}

/**
 * One model's training, an epoch at a time: what {@link trainLanguageModel} runs to the end, and
 * what a hyperparameter search runs side by side with others, continuing only the promising ones.
 * Owns its model until {@link finish} hands it over; {@link dispose} releases what is left.
 */
export class TrainingSession {
  readonly hyperparameters: Hyperparameters;
  readonly history: EpochMetrics[] = [];
  #stoppedEarly = false;
  #best: { loss: number; epoch: number; weights: WeightValues } | undefined;
  #average: WeightAverage | undefined;
  #batchesDone = 0;
  /** When the loop last let timers and messages run; kept across epochs so short epochs still yield. */
  #lastYield = performance.now();
  #model: LstmLanguageModel | undefined;
  readonly #optimizer: AdamOptimizer;
  readonly #data: TrainingData;
  readonly #options: TrainingOptions;
  readonly #trainSequences: Sequence[];
  readonly #validationBatches: TrainingBatch[];
  readonly #batchesPerEpoch: number;
  readonly #unknownWords: ((sentences: readonly number[][], random: Random) => number[][]) | undefined;
  readonly #candidateSampler: CandidateSampler | undefined;
  readonly #dropout: DropoutRates;
  #averageFromStep: number;
  readonly #snapshotInterval: number;
  readonly #random: { shuffle: Random; dropout: Random; candidates: Random; unknownWords: Random };
  #pool: ParallelGradients | undefined;
  readonly #pieces: PieceEmbeddings | undefined;

  private constructor(data: TrainingData, vocabSize: number, hp: Hyperparameters, options: TrainingOptions) {
    this.hyperparameters = hp;
    this.#data = data;
    this.#options = options;
    this.#trainSequences = this.#toSequences(data.train);
    if (this.#trainSequences.length === 0) throw new RangeError('there are no training sentences');
    this.#unknownWords = unknownWordReplacer(data.unknownStandIns ?? [], hp.unknownWordRate ?? 0, vocabSize);
    this.#validationBatches = chunk(this.#toSequences(data.validation), hp.batchSize).map(makeBatch);
    this.#batchesPerEpoch = Math.ceil(this.#trainSequences.length / hp.batchSize);
    this.#dropout = { embedding: hp.embeddingDropout ?? 0, output: hp.dropout ?? 0 };
    this.#candidateSampler = sampledSoftmaxFor(hp, vocabSize, this.#trainSequences);
    const random = new Random(hp.seed);
    this.#random = { shuffle: random.fork('shuffle'), dropout: random.fork('dropout'), candidates: random.fork('candidates'), unknownWords: random.fork('unknown-words') };
    this.#averageFromStep =
      hp.weightAveragingStart === undefined ? Number.POSITIVE_INFINITY : Math.floor(hp.weightAveragingStart * hp.maxEpochs * this.#batchesPerEpoch);
    this.#snapshotInterval = Math.max(1, Math.ceil(this.#batchesPerEpoch / AVERAGED_SNAPSHOTS_PER_EPOCH));
    this.#model = options.initialModel === undefined ? LstmLanguageModel.create(vocabSize, hp) : options.initialModel.clone(hp);
    this.#optimizer = new AdamOptimizer(hp.learningRate);
    const pieces = hp.wordPieces === true ? data.wordPieces : undefined;
    this.#pieces = pieces !== undefined && pieces.count > 0 ? new PieceEmbeddings(pieces, hp.embeddingSize) : undefined;
  }

  /** Checks the data and settings and builds the model (and the gradient threads, with `threads` > 1). */
  static async open(data: TrainingData, vocabSize: number, hyperparameters: Hyperparameters, options: TrainingOptions = {}): Promise<TrainingSession> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    validateHyperparameters(hyperparameters);
    const { initialModel } = options;
    if (initialModel !== undefined && initialModel.vocabSize !== vocabSize) {
      throw new RangeError(
        `the initial model has ${initialModel.vocabSize} ids but vocabSize is ${vocabSize}: grow it with growVocabulary first`,
      );
    }
    checkSentences(data.train, vocabSize, 'train');
    checkSentences(data.validation, vocabSize, 'validation');
    const hp: Hyperparameters =
      initialModel === undefined
        ? { ...hyperparameters }
        : {
            ...hyperparameters,
            embeddingSize: initialModel.embeddingSize,
            hiddenSize: initialModel.hiddenSize,
            tiedWeights: initialModel.hyperparameters.tiedWeights === true,
          };
    if (options.signal?.aborted) throw new TrainingAbortedError();
    const session = new TrainingSession(data, vocabSize, hp, options);
    try {
      if (threads > 1 && hp.batchSize > 1) {
        const shape = { vocabSize, embeddingSize: hp.embeddingSize, hiddenSize: hp.hiddenSize };
        session.#pool = await ParallelGradients.start(shape, Math.min(threads, hp.batchSize) - 1, currentBackend());
      }
    } catch (error) {
      await session.dispose();
      throw error;
    }
    return session;
  }

  /** Whether training is over: `maxEpochs` ran, or validation stopped improving. */
  get done(): boolean {
    return this.#stoppedEarly || this.history.length >= this.hyperparameters.maxEpochs;
  }

  /** The lowest validation loss of an epoch so far (undefined without validation or before the first epoch). */
  get bestValidationLoss(): number | undefined {
    return this.#best?.loss;
  }

  /** Training targets of one epoch (every word and end of sentence of the training sentences). */
  get targetsPerEpoch(): number {
    return this.#trainSequences.reduce((sum, sequence) => sum + sequence.targets.filter((id) => id !== PAD).length, 0);
  }

  /**
   * Whether another epoch may start before `deadline` (milliseconds since the epoch): always before
   * the first, else when the last epoch's duration says the next one ends in time.
   */
  canAffordEpoch(deadline: number | undefined): boolean {
    const previous = this.history.at(-1);
    return previous === undefined || deadline === undefined || Date.now() + 1000 * previous.seconds <= deadline;
  }

  /**
   * Trains one epoch and validates it. After an epoch that does not improve validation loss, the
   * weights go back to the best epoch's and the learning rate halves; `patience` such epochs in a
   * row end training ({@link done}).
   */
  async trainEpoch(): Promise<EpochMetrics> {
    const model = this.#owned();
    this.#fitAveragingToDeadline();
    const hp = this.hyperparameters;
    const { signal, onProgress } = this.#options;
    const epoch = this.history.length + 1;
    const scheduled = this.#options.learningRates;
    if (scheduled !== undefined && scheduled.length > 0) this.#optimizer.learningRate = scheduled[Math.min(epoch, scheduled.length) - 1]!;
    const epochStart = performance.now();
    const order = this.#random.shuffle.shuffle(this.#trainSequences.map((_, i) => i));
    // The same sentences, windows and order every epoch; only which stand-ins read as unknown changes.
    const epochSequences =
      this.#unknownWords === undefined ? this.#trainSequences : this.#toSequences(this.#unknownWords(this.#data.train, this.#random.unknownWords));
    let lossSum = 0;
    let targets = 0;
    for (let b = 0; b < this.#batchesPerEpoch; b++) {
      const sequences = order.slice(b * hp.batchSize, (b + 1) * hp.batchSize).map((i) => epochSequences[i] as Sequence);
      const candidates = this.#candidateSampler?.draw(this.#random.candidates);
      const { loss, targetCount: count, gradients } =
        this.#pool === undefined
          ? lossAndGradients(model.weights, makeBatch(sequences), this.#dropout, this.#random.dropout, candidates)
          : await this.#pool.lossAndGradients(model.weights, sequences, this.#dropout, this.#random.dropout, candidates);
      applyGradients(model.weights, gradients, loss, hp, this.#optimizer, this.#pieces);
      lossSum += loss * count;
      targets += count;
      this.#batchesDone++;
      if (this.#batchesDone >= this.#averageFromStep && (this.#batchesDone - this.#averageFromStep) % this.#snapshotInterval === 0) {
        (this.#average ??= new WeightAverage()).add(model.weightValues());
      }
      if (onProgress !== undefined) {
        const elapsed = (performance.now() - epochStart) / 1000;
        onProgress({
          epoch,
          epochs: hp.maxEpochs,
          batch: b + 1,
          batchesPerEpoch: this.#batchesPerEpoch,
          loss: lossSum / targets,
          tokensPerSecond: targets / Math.max(elapsed, 1e-9),
          etaSeconds: (elapsed / (b + 1)) * (hp.maxEpochs * this.#batchesPerEpoch - (epoch - 1) * this.#batchesPerEpoch - b - 1),
        });
      }
      // Let timers and messages (an abort among them) run between batches.
      if (performance.now() - this.#lastYield > 25) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.#lastYield = performance.now();
      }
      if (signal?.aborted) throw new TrainingAbortedError();
    }
    const trainSeconds = (performance.now() - epochStart) / 1000;
    const metrics: EpochMetrics = {
      epoch,
      trainLoss: lossSum / targets,
      tokensPerSecond: targets / Math.max(trainSeconds, 1e-9),
      learningRate: this.#optimizer.learningRate,
      seconds: 0,
    };
    if (this.#validationBatches.length > 0) {
      const { loss, accuracy } = evaluate(model.weights, this.#validationBatches);
      if (!Number.isFinite(loss)) throw new TrainingDivergedError(`validation loss became ${loss} in epoch ${epoch}`);
      metrics.validationLoss = loss;
      metrics.validationAccuracy = accuracy;
    }
    metrics.seconds = (performance.now() - epochStart) / 1000;
    this.history.push(metrics);
    if (metrics.validationLoss !== undefined) {
      if (this.#best === undefined || metrics.validationLoss < this.#best.loss) {
        this.#best = { loss: metrics.validationLoss, epoch, weights: model.weightValues() };
      } else if (epoch - this.#best.epoch >= hp.patience) {
        this.#stoppedEarly = epoch < hp.maxEpochs;
      } else {
        // A plateau: go back to the best weights and take smaller steps from there, which
        // usually finds a lower validation loss than stopping or carrying on at full rate.
        model.setWeightValues(this.#best.weights);
        this.#optimizer.learningRate *= PLATEAU_LEARNING_RATE_FACTOR;
      }
    }
    return metrics;
  }

  /**
   * Mean loss and top-1 accuracy of the current weights on `sentences`, without dropout. Unlike the
   * validation sentences, these never steer training: cross-validation scores a fold this way
   * after every epoch of a run that trains as a corpus without validation would.
   */
  score(sentences: readonly (readonly number[])[]): { loss: number; accuracy: number } {
    checkSentences(sentences, this.#owned().vocabSize, 'scored');
    return evaluate(this.#owned().weights, chunk(this.#toSequences(sentences), this.hyperparameters.batchSize).map(makeBatch));
  }

  /**
   * Moves the start of weight averaging to its share of the epochs the deadline leaves, so a run
   * the deadline ends before `maxEpochs` (a large corpus on a slow or busy machine) still averages
   * its last epochs; once averaging has begun it goes on.
   */
  #fitAveragingToDeadline(): void {
    const start = this.hyperparameters.weightAveragingStart;
    const { deadline } = this.#options;
    const last = this.history.at(-1);
    if (start === undefined || deadline === undefined || last === undefined || this.#average !== undefined) return;
    const affordable = this.history.length + Math.floor(Math.max(0, deadline - Date.now()) / Math.max(1000 * last.seconds, 1));
    const plannedEpochs = Math.min(this.hyperparameters.maxEpochs, affordable);
    this.#averageFromStep = Math.max(this.#batchesDone, Math.floor(start * plannedEpochs * this.#batchesPerEpoch));
  }

  /**
   * Ends training: the model takes the best epoch's weights (or their average, when it validates
   * better) and is handed to the caller, who disposes it.
   */
  finish(): TrainerResult {
    const model = this.#owned();
    if (this.history.length === 0) throw new Error('training finished without a single epoch');
    const best = this.#best;
    if (best !== undefined && best.epoch !== this.history.length) model.setWeightValues(best.weights);
    const weightAverage = this.#average === undefined ? undefined : keepAverageIfBetter(model, this.#average, best?.loss, this.#validationBatches);
    this.#model = undefined;
    return { model, history: this.history, stoppedEarly: this.#stoppedEarly, ...(weightAverage === undefined ? {} : { weightAverage }) };
  }

  /** Releases the optimiser, the gradient threads and the model unless {@link finish} handed it over. */
  async dispose(): Promise<void> {
    this.#optimizer.dispose();
    this.#pieces?.dispose();
    this.#model?.dispose();
    this.#model = undefined;
    await this.#pool?.dispose();
    this.#pool = undefined;
  }

  #owned(): LstmLanguageModel {
    if (this.#model === undefined) throw new Error('the training session has finished');
    return this.#model;
  }

  #toSequences(sentences: readonly (readonly number[])[]): Sequence[] {
    return sentences.flatMap((sentence) => sentenceToSequences(sentence, this.hyperparameters.contextLength));
  }
}

/**
 * Replaces the model's weights with the average when it validates better than `bestLoss` (or when
 * there is no validation to ask); otherwise leaves them as they were.
 */
function keepAverageIfBetter(
  model: LstmLanguageModel,
  average: WeightAverage,
  bestLoss: number | undefined,
  validationBatches: readonly TrainingBatch[],
): NonNullable<TrainerResult['weightAverage']> {
  const previous = model.weightValues();
  model.setWeightValues(average.mean());
  if (validationBatches.length === 0) return { snapshots: average.count, kept: true };
  const { loss, accuracy } = evaluate(model.weights, validationBatches);
  const kept = bestLoss === undefined || loss < bestLoss;
  if (!kept) model.setWeightValues(previous);
  return { snapshots: average.count, validationLoss: loss, validationAccuracy: accuracy, kept };
}

/** Mean validation loss and top-1 accuracy over batches. */
function evaluate(weights: NetworkWeights, batches: readonly TrainingBatch[]): { loss: number; accuracy: number } {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (const batch of batches) {
    const score = scoreBatch(weights, batch);
    lossSum += score.lossSum;
    correct += score.correct;
    count += score.targetCount;
  }
  return { loss: lossSum / count, accuracy: correct / count };
}

/** One optimiser step with a batch's gradients (disposed here) and mean loss. */
function applyGradients(
  weights: NetworkWeights,
  gradients: NetworkGradients,
  loss: number,
  hp: Hyperparameters,
  optimizer: AdamOptimizer,
  pieces: PieceEmbeddings | undefined,
): void {
  let pieceGradient: tf.Tensor | undefined;
  try {
    if (!Number.isFinite(loss)) {
      throw new TrainingDivergedError(`the training loss became ${loss}: lower the learning rate or check the data`);
    }
    if (hp.tiedWeights === true) gradients = tieGradients(weights, gradients);
    if (pieces === undefined) {
      optimizer.step(weights, gradients, clipScale(hp, gradients));
    } else {
      pieceGradient = pieces.gradient(gradients.embedding);
      const all = { ...gradients, pieces: pieceGradient };
      const before = pieces.snapshot();
      optimizer.step({ ...weights, pieces: pieces.vectors }, all, clipScale(hp, all));
      pieces.addMoves(weights.embedding, before);
    }
    if (hp.tiedWeights === true) syncOutputToEmbedding(weights);
  } finally {
    tf.dispose([...Object.values(gradients), ...(pieceGradient === undefined ? [] : [pieceGradient])]);
  }
}

/**
 * The sampler of a sampled softmax over the training targets' frequencies, or undefined for the
 * full softmax: sampling pays only when it leaves out most of the vocabulary.
 */
function sampledSoftmaxFor(hp: Hyperparameters, vocabSize: number, sequences: readonly Sequence[]): CandidateSampler | undefined {
  const size = hp.sampledSoftmaxSize;
  if (size === undefined || size >= vocabSize / 2) return undefined;
  const counts = new Float64Array(vocabSize);
  for (const { targets } of sequences) for (const id of targets) if (id !== PAD) counts[id] = (counts[id] as number) + 1;
  return new CandidateSampler(counts, size);
}

/** The backend this thread runs on, for worker threads to run on the same. */
function currentBackend(): BackendName {
  const name = tf.getBackend();
  return name === 'tensorflow' ? 'node' : name === 'cpu' ? 'cpu' : 'wasm';
}

/** What the gradients are scaled by so that their global norm stays within `clipNorm`. */
function clipScale(hp: Hyperparameters, gradients: Record<string, tf.Tensor>): number {
  return hp.clipNorm === undefined ? 1 : Math.min(1, hp.clipNorm / globalNorm(gradients));
}

/** The L2 norm of all gradients taken together. */
function globalNorm(gradients: Record<string, tf.Tensor>): number {
  let squares = 0;
  for (const gradient of Object.values(gradients)) {
    const values = readView(gradient);
    for (let i = 0; i < values.length; i++) squares += (values[i] as number) * (values[i] as number);
  }
  return Math.sqrt(squares);
}

function checkSentences(sentences: readonly (readonly number[])[], vocabSize: number, name: string): void {
  sentences.forEach((sentence, index) => {
    for (const id of sentence) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new RangeError(`${name} sentence ${index} holds id ${id}, outside the vocabulary [0, ${vocabSize})`);
      }
    }
  });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
