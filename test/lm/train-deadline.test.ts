import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lm/backend.ts';
import { evaluate } from '../../src/lm/evaluate.ts';
import { defaultHyperparameters } from '../../src/lm/hyperparameters.ts';
import { lstmPredictor } from '../../src/lm/predict.ts';
import { Random } from '../../src/lm/random.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';

/** Counting patterns over ids 4..19: "5 7 9 11", "8 10 12"... */
function countingSentences(count: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => {
    const start = random.int(16);
    return Array.from({ length: 3 + random.int(5) }, (_, k) => 4 + ((start + 2 * k) % 16));
  });
}

const VOCABULARY = 20;
const train = countingSentences(120, 1);
const validation = countingSentences(20, 2);
const hyperparameters = defaultHyperparameters(
  { sentences: train.length, tokens: 600, vocabularySize: VOCABULARY },
  { maxEpochs: 10_000, patience: 10_000, batchSize: 8, seed: 3 },
);

beforeAll(async () => {
  await initBackend('wasm');
});

describe('a training deadline', () => {
  it('starts no epoch that would end after the deadline, and keeps the weights of the best epoch', async () => {
    const deadline = Date.now() + 4000;
    const { model, history, stoppedEarly } = await trainLanguageModel({ train, validation }, VOCABULARY, hyperparameters, { deadline });
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
    const { model, history } = await trainLanguageModel({ train, validation }, VOCABULARY, hyperparameters, { deadline: Date.now() - 1 });
    model.dispose();
    expect(history).toHaveLength(1);
    expect(history[0]!.validationLoss).toBeGreaterThan(0);
  });
});
