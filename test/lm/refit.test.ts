import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lm/backend.ts';
import { evaluate } from '../../src/lm/evaluate.ts';
import { defaultHyperparameters } from '../../src/lm/hyperparameters.ts';
import { lstmPredictor } from '../../src/lm/predict.ts';
import { keptEpochs, planRefit, refit } from '../../src/lm/refit.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';
import type { EpochMetrics } from '../../src/lm/training-types.ts';
import { COUNTING_VOCABULARY, countingSentences } from '../support/counting-sentences.ts';

const train = countingSentences(60, 1);
const validation = countingSentences(12, 2);
const hyperparameters = defaultHyperparameters(
  { sentences: train.length, tokens: 300, vocabularySize: COUNTING_VOCABULARY },
  { maxEpochs: 12, batchSize: 8, seed: 5, validationFraction: 0.2 },
);

function epoch(number: number, validationLoss: number | undefined, learningRate: number): EpochMetrics {
  return { epoch: number, trainLoss: 2, ...(validationLoss === undefined ? {} : { validationLoss }), tokensPerSecond: 100, learningRate, seconds: 2 };
}

/** A run whose third and fifth epochs did not improve: training halved the rate after each. */
const plateaued = [epoch(1, 3, 0.01), epoch(2, 2.5, 0.01), epoch(3, 2.6, 0.01), epoch(4, 2.4, 0.005), epoch(5, 2.45, 0.005)];

beforeAll(async () => {
  await initBackend('wasm');
});

describe('the epochs a validated run kept', () => {
  it('are those that lowered the best validation loss, in order', () => {
    expect(keptEpochs(plateaued).map((kept) => kept.epoch)).toEqual([1, 2, 4]);
  });

  it('are none without validation', () => {
    expect(keptEpochs([epoch(1, undefined, 0.01)])).toEqual([]);
  });
});

describe('planning a refit', () => {
  it('replays the kept epochs at their rates, without averaging, and scales their time to every sentence', () => {
    const plan = planRefit({ history: plateaued }, { ...hyperparameters, weightAveragingStart: 0.75 }, 1.1);
    expect(plan).toEqual({
      hyperparameters: { ...hyperparameters, maxEpochs: 3, weightAveragingStart: undefined },
      learningRates: [0.01, 0.01, 0.005],
      estimatedSeconds: expect.closeTo(6.6, 6),
    });
  });

  it('has nothing to replay when the run kept a weight average', () => {
    expect(planRefit({ history: plateaued, weightAverage: { snapshots: 4, kept: true } }, hyperparameters, 1.1)).toBeUndefined();
    expect(planRefit({ history: plateaued, weightAverage: { snapshots: 4, kept: false } }, hyperparameters, 1.1)).toBeDefined();
  });

  it('is left out when the deadline would end it before its last epoch', () => {
    expect(planRefit({ history: plateaued }, hyperparameters, 1.1, Date.now() + 5000)).toBeUndefined();
    expect(planRefit({ history: plateaued }, hyperparameters, 1.1, Date.now() + 60_000)).toBeDefined();
  });
});

describe('a refit', () => {
  it('trains each epoch at the rate given for it, the last one for any beyond', async () => {
    const { model, history } = await trainLanguageModel({ train, validation: [] }, COUNTING_VOCABULARY, { ...hyperparameters, maxEpochs: 3 }, {
      learningRates: [0.02, 0.004],
    });
    model.dispose();
    expect(history.map((trained) => trained.learningRate)).toEqual([0.02, 0.004, 0.004]);
  });

  it('trains the kept epochs on every sentence, and then predicts the held-out ones better than the validated network', async () => {
    const validated = await trainLanguageModel({ train, validation }, COUNTING_VOCABULARY, hyperparameters);
    const refitted = await (async () => {
      const plan = planRefit(validated, hyperparameters, (train.length + validation.length) / train.length)!;
      expect(plan.learningRates).toEqual(keptEpochs(validated.history).map((kept) => kept.learningRate));
      return refit({ train: [...train, ...validation] }, COUNTING_VOCABULARY, plan);
    })();
    try {
      expect(refitted.history.map((trained) => trained.learningRate)).toEqual(keptEpochs(validated.history).map((kept) => kept.learningRate));
      expect(refitted.history.every((trained) => trained.validationLoss === undefined)).toBe(true);
      expect(refitted.model.hyperparameters.maxEpochs).toBe(refitted.history.length);
      const heldOut = (model: typeof validated.model): number => evaluate(validation, lstmPredictor(model)).perplexity;
      expect(heldOut(refitted.model)).toBeLessThan(heldOut(validated.model));
    } finally {
      validated.model.dispose();
      refitted.model.dispose();
    }
  });
});
