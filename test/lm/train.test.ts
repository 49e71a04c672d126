import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lm/backend.ts';
import { defaultHyperparameters, type Hyperparameters } from '../../src/lm/hyperparameters.ts';
import { LstmLanguageModel } from '../../src/lm/model.ts';
import { BOS, EOS, PAD } from '../../src/lm/special-tokens.ts';
import { Random } from '../../src/lm/random.ts';
import { makeBatch, sentenceToSequences } from '../../src/lm/engine/batches.ts';
import { lossAndGradients } from '../../src/lm/engine/training-step.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';
import { TrainingAbortedError, TrainingDivergedError, type TrainerProgress } from '../../src/lm/training-types.ts';
import { AVERAGED_SNAPSHOTS_PER_EPOCH } from '../../src/lm/weight-average.ts';
import { seededSplit } from '../support/seeded-split.ts';

function argmax(values: Float32Array): number {
  let best = 0;
  values.forEach((v, i) => {
    if (v > (values[best] as number)) best = i;
  });
  return best;
}

/** A small synthetic corpus with learnable structure: "a b c" patterns over ids 4..23. */
function patternCorpus(sentences: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: sentences }, () => {
    const start = 4 + random.int(10);
    const length = 3 + random.int(6);
    return Array.from({ length }, (_, k) => 4 + ((start - 4 + 2 * k) % 20));
  });
}

/** Mean cross-entropy of a model over sentences, each read whole from BOS to EOS. */
function meanLoss(model: LstmLanguageModel, sentences: readonly number[][]): number {
  let lossSum = 0;
  let count = 0;
  for (const sentence of sentences) {
    const targets = [...sentence, EOS];
    const distributions = model.sequenceDistributions([BOS, ...sentence]);
    targets.forEach((target, t) => (lossSum -= Math.log(distributions[t]?.[target] as number)));
    count += targets.length;
  }
  return lossSum / count;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('the seed corpus (我 喜欢 玩具 / 我 爱 爸爸 / 我 讨厌 挨打)', () => {
  // 我=4, 喜欢=5, 玩具=6, 爱=7, 爸爸=8, 讨厌=9, 挨打=10
  const sentences = [
    [4, 5, 6],
    [4, 7, 8],
    [4, 9, 10],
  ];

  it.each([1, 2, 3])('learns every next word with default hyperparameters (seed %i)', async (seed) => {
    const hp = defaultHyperparameters({ sentences: 3, tokens: 9, vocabularySize: 11 }, { seed });
    const { model, history } = await trainLanguageModel({ train: sentences, validation: [] }, 11, hp);
    expect(argmax(model.nextDistribution([BOS, 4, 9]))).toBe(10);
    expect(argmax(model.nextDistribution([BOS, 4, 5]))).toBe(6);
    expect(argmax(model.nextDistribution([BOS, 4, 7]))).toBe(8);
    expect(argmax(model.nextDistribution([BOS, 4, 5, 6]))).toBe(EOS);
    expect(history.at(-1)?.trainLoss).toBeLessThan(history[0]?.trainLoss as number);
    model.dispose();
  });
});

describe('hand-written gradients', () => {
  const check = async (backend: 'wasm' | 'cpu', dropout: number): Promise<void> => {
    await initBackend(backend);
    const hp: Hyperparameters = { ...defaultHyperparameters({ sentences: 3, tokens: 20, vocabularySize: 17 }), embeddingSize: 5, hiddenSize: 6, seed: 11 };
    const model = LstmLanguageModel.create(17, hp);
    const sentences = [[4, 5, 6, 7, 8, 9], [10, 11], [12, 13, 14, 15]];
    // A context window shorter than the first sentence adds a window with context-only steps.
    const batch = makeBatch(sentences.flatMap((s) => sentenceToSequences(s, 5)));
    const { loss, gradients } = lossAndGradients(model.weights, batch, { embedding: dropout, output: dropout }, new Random(1));

    // Reference: the same loss through tfjs autodiff on the tf-ops forward pass.
    const { steps, size } = batch;
    const batchMajor = Array.from({ length: size }, (_, b) => Array.from({ length: steps }, (_, t) => batch.inputs[t * size + b] as number));
    const { value, grads } = tf.variableGrads(() => {
      const embedded = tf.gather(model.weights.embedding, tf.tensor2d(batchMajor, [size, steps], 'int32')) as tf.Tensor3D;
      const logProbabilities = tf.reshape(tf.logSoftmax(model.forwardFromEmbeddings(embedded).logits), [size * steps, 17]);
      // Positions are time-major in the batch, batch-major in the tf pass.
      const rows = Array.from(batch.targetPositions, (p) => (p % size) * steps + Math.floor(p / size));
      const picked = tf.gather(tf.reshape(logProbabilities, [-1]), tf.tensor1d(rows.map((r, k) => r * 17 + (batch.targetIds[k] as number)), 'int32'));
      return tf.neg(tf.mean(picked)) as tf.Scalar;
    });
    if (dropout === 0) {
      expect(loss).toBeCloseTo(value.dataSync()[0] as number, 5);
      for (const key of Object.keys(gradients) as (keyof typeof gradients)[]) {
        const reference = grads[model.weights[key].name] as tf.Tensor;
        const ours = gradients[key].dataSync();
        const theirs = reference.dataSync();
        let worst = 0;
        let scale = 0;
        theirs.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - (ours[i] as number)));
          scale = Math.max(scale, Math.abs(v));
        });
        expect(scale, key).toBeGreaterThan(0);
        expect(worst / scale, key).toBeLessThan(1e-4);
      }
    } else {
      // Dropout changes the loss: it must differ, and its gradients must still be finite.
      expect(Math.abs(loss - (value.dataSync()[0] as number))).toBeGreaterThan(1e-6);
      expect(Object.values(gradients).every((g) => g.dataSync().every(Number.isFinite))).toBe(true);
    }
    tf.dispose([value, ...Object.values(grads), ...Object.values(gradients)]);
    model.dispose();
  };

  it('match tfjs autodiff on wasm', () => check('wasm', 0));
  it('match tfjs autodiff on cpu', async () => {
    try {
      await check('cpu', 0);
    } finally {
      await initBackend('wasm');
    }
  });
  it('include dropout when asked', () => check('wasm', 0.5));
});

describe('sentenceToSequences', () => {
  it('keeps a short sentence whole, from BOS to EOS', () => {
    expect(sentenceToSequences([4, 5, 6], 8)).toEqual([{ inputs: [BOS, 4, 5, 6], targets: [4, 5, 6, EOS] }]);
  });

  it('cuts a long sentence into windows in which every word is a target exactly once', () => {
    const sentence = Array.from({ length: 23 }, (_, k) => 4 + k);
    const windows = sentenceToSequences(sentence, 8);
    expect(windows.length).toBeGreaterThan(1);
    const targets = windows.flatMap((w) => w.targets.filter((id) => id !== PAD));
    expect(targets).toEqual([...sentence, EOS]);
    for (const window of windows) {
      expect(window.inputs.length).toBeLessThanOrEqual(8);
      // Each target is the word after its input, as in the whole sentence.
      window.inputs.forEach((id, t) => {
        const target = window.targets[t] as number;
        if (target !== PAD && target !== EOS) expect(target).toBe(id === BOS ? 4 : id + 1);
      });
    }
    // Later windows start with context whose targets were already counted.
    expect(windows[1]?.targets[0]).toBe(PAD);
  });
});

describe('trainLanguageModel', () => {
  const corpus = patternCorpus(260, 5);
  const hp = defaultHyperparameters({ sentences: 260, tokens: 1500, vocabularySize: 24 }, { maxEpochs: 3, seed: 9 });
  const data = seededSplit(corpus, hp.validationFraction, hp.seed);

  it('splits off a deterministic, disjoint validation set', () => {
    const again = seededSplit(corpus, hp.validationFraction, hp.seed);
    expect(data.validation.length).toBe(26);
    expect(data.train.length + data.validation.length).toBe(corpus.length);
    expect(again).toEqual(data);
    expect(seededSplit(corpus, 0, 1).validation).toEqual([]);
  });

  it('reports progress and epoch metrics, and a fixed seed repeats the run exactly', async () => {
    const progress: TrainerProgress[] = [];
    const first = await trainLanguageModel(data, 24, hp, { onProgress: (p) => progress.push(p) });
    const second = await trainLanguageModel(data, 24, hp);
    expect(first.history).toHaveLength(3);
    const strip = (h: typeof first.history): unknown => h.map(({ epoch, trainLoss, validationLoss, validationAccuracy }) => ({ epoch, trainLoss, validationLoss, validationAccuracy }));
    expect(strip(second.history)).toEqual(strip(first.history));
    expect(first.history[2]?.validationLoss).toBeLessThan(first.history[0]?.validationLoss as number);
    expect(first.history[2]?.validationAccuracy).toBeGreaterThan(0.3);
    const batchesPerEpoch = Math.ceil(data.train.length / hp.batchSize);
    expect(progress).toHaveLength(3 * batchesPerEpoch);
    expect(progress.at(-1)).toMatchObject({ epoch: 3, epochs: 3, batch: batchesPerEpoch, batchesPerEpoch });
    expect(progress.every((p) => p.tokensPerSecond > 0 && p.etaSeconds >= 0 && Number.isFinite(p.loss))).toBe(true);
    first.model.dispose();
    second.model.dispose();
  });

  it('stops early when validation stops improving and keeps the best weights', async () => {
    // A tiny validation set of sentences unlike the training ones: it gets worse quickly.
    const odd = { train: data.train.slice(0, 40), validation: [[23, 5, 17, 9], [19, 7, 4, 21]] };
    const result = await trainLanguageModel(odd, 24, { ...hp, maxEpochs: 60, patience: 2, learningRate: 0.05 });
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.length).toBeLessThan(60);
    const losses = result.history.map((m) => m.validationLoss as number);
    const bestEpoch = losses.indexOf(Math.min(...losses));
    expect(result.history.length - 1 - bestEpoch).toBe(2);
    // The returned model has the best epoch's validation loss, not the last one's.
    expect(meanLoss(result.model, odd.validation)).toBeCloseTo(losses[bestEpoch] as number, 4);
    expect(result.weightAverage).toBeUndefined();
    result.model.dispose();
  });

  it.each([
    { case: 'lags behind a model still improving fast (small rate)', learningRate: 0.005, kept: false },
    { case: 'beats the noisy last steps of a large rate', learningRate: 0.1, kept: true },
  ])('keeps the weight average over the end of the budget only when it validates better: it $case', async ({ learningRate, kept }) => {
    const result = await trainLanguageModel(data, 24, { ...hp, maxEpochs: 4, learningRate, weightAveragingStart: 0.5 });
    const batchesPerEpoch = Math.ceil(data.train.length / hp.batchSize);
    const steps = 4 * batchesPerEpoch;
    const interval = Math.ceil(batchesPerEpoch / AVERAGED_SNAPSHOTS_PER_EPOCH);
    expect(result.weightAverage?.snapshots).toBe(Math.floor((steps - Math.floor(0.5 * steps)) / interval) + 1);
    const bestEpochLoss = Math.min(...result.history.map((m) => m.validationLoss as number));
    const averageLoss = result.weightAverage?.validationLoss as number;
    expect(result.weightAverage?.kept).toBe(kept);
    expect(averageLoss < bestEpochLoss).toBe(kept);
    // The model holds whichever validated better, also when the best epoch is the last one.
    expect(meanLoss(result.model, data.validation)).toBeCloseTo(Math.min(averageLoss, bestEpochLoss), 4);
    result.model.dispose();
  });

  it('averages the last epochs the deadline leaves when it ends training long before maxEpochs', async () => {
    const deadline = Date.now() + 1500;
    const result = await trainLanguageModel(
      data,
      24,
      { ...hp, maxEpochs: 10_000, patience: 10_000, learningRate: 0.1, weightAveragingStart: 0.5 },
      { deadline },
    );
    expect(result.history.length).toBeGreaterThan(1);
    expect(result.history.length).toBeLessThan(10_000);
    // Averaging from half of the 10,000 planned epochs would never have started.
    expect(result.weightAverage?.snapshots).toBeGreaterThan(0);
    result.model.dispose();
  });

  it('warm-starts from an initial model without changing it', async () => {
    const short = { ...hp, maxEpochs: 1 };
    const base = await trainLanguageModel(data, 24, short);
    const baseWeights = base.model.weightValues();
    const warm = await trainLanguageModel(data, 24, short, { initialModel: base.model });
    const cold = await trainLanguageModel(data, 24, short);
    expect(warm.history[0]?.trainLoss).toBeLessThan(cold.history[0]?.trainLoss as number);
    expect(base.model.weightValues().output).toEqual(baseWeights.output);
    await expect(trainLanguageModel(data, 30, short, { initialModel: base.model })).rejects.toThrow(/growVocabulary/);
    [base, warm, cold].forEach((r) => r.model.dispose());
  });

  it('stops with an AbortError when aborted, leaving no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let batches = 0;
    const run = trainLanguageModel(data, 24, { ...hp, maxEpochs: 50 }, {
      signal: controller.signal,
      onProgress: () => {
        batches++;
        if (batches === 3) setTimeout(() => controller.abort(), 0);
      },
    });
    await expect(run).rejects.toThrow(TrainingAbortedError);
    expect(batches).toBeLessThan(50 * 8);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('throws a clear error when the loss is not finite, leaving no tensors behind', async () => {
    const sane = LstmLanguageModel.create(24, hp);
    const values = sane.weightValues();
    values.output[0] = Number.NaN;
    const broken = LstmLanguageModel.fromWeightValues(values, 24, hp);
    sane.dispose();
    const before = tf.memory().numTensors;
    await expect(trainLanguageModel(data, 24, hp, { initialModel: broken })).rejects.toThrow(TrainingDivergedError);
    expect(tf.memory().numTensors).toBe(before);
    broken.dispose();
  });

  it('does not leak tensors across trainings', async () => {
    const small = { train: data.train.slice(0, 30), validation: data.validation.slice(0, 5) };
    const first = await trainLanguageModel(small, 24, { ...hp, maxEpochs: 1 });
    first.model.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { model } = await trainLanguageModel(small, 24, { ...hp, maxEpochs: 1, seed: i });
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses ids outside the vocabulary', async () => {
    await expect(trainLanguageModel({ train: [[4, 99]], validation: [] }, 24, hp)).rejects.toThrow(/id 99/);
  });
});
