import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lm/backend.ts';
import { evaluate } from '../../src/lm/evaluate.ts';
import { defaultHyperparameters } from '../../src/lm/hyperparameters.ts';
import { lstmPredictor } from '../../src/lm/predict.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';
import { COUNTING_VOCABULARY, countingSentences } from '../support/counting-sentences.ts';

const train = countingSentences(120, 1);
const validation = countingSentences(20, 2);
const hyperparameters = defaultHyperparameters(
  { sentences: train.length, tokens: 600, vocabularySize: COUNTING_VOCABULARY },
  { maxEpochs: 10_000, patience: 10_000, batchSize: 8, seed: 3 },
);

beforeAll(async () => {
  await initBackend('wasm');
});

describe('a training deadline', () => {
  it('starts no epoch that would end after the deadline, and keeps the weights of the best epoch', async () => {
    const deadline = Date.now() + 4000;
    const { model, history, stoppedEarly } = await trainLanguageModel({ train, validation }, COUNTING_VOCABULARY, hyperparameters, { deadline });
    const finishedAt = Date.now();
    try {
      expect(history.length, JSON.stringify(history.map((epoch) => epoch.seconds))).toBeGreaterThan(1);
      expect(history.length).toBeLessThan(hyperparameters.maxEpochs);
      expect(stoppedEarly).toBe(false);
      // The last epoch started when, at the pace of the one before, it would end in time.
      expect(finishedAt).toBeLessThanOrEqual(deadline + 1000 * history.at(-1)!.seconds);
      const best = Math.min(...history.map((epoch) => epoch.validationLoss!));
      expect(Math.log(evaluate(validation, lstmPredictor(model)).perplexity)).toBeCloseTo(best, 4);
    } finally {
      model.dispose();
    }
  });

  it('still trains one epoch when the deadline has already passed', async () => {
    const { model, history } = await trainLanguageModel({ train, validation }, COUNTING_VOCABULARY, hyperparameters, { deadline: Date.now() - 1 });
    model.dispose();
    expect(history).toHaveLength(1);
    expect(history[0]!.validationLoss).toBeGreaterThan(0);
  });
});
