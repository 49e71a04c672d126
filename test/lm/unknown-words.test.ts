import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lm/backend.ts';
import { defaultHyperparameters } from '../../src/lm/hyperparameters.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';
import { UNK } from '../../src/lm/special-tokens.ts';
import { asUnseenText, singletonIds } from '../../src/lm/unknown-words.ts';

const A = 4;
const B = 5;
const C = 6;
const D = 7;
const SIZE = 8;

describe('unknown words', () => {
  it('finds the words seen exactly once, never the unknown word itself', () => {
    expect(singletonIds([[A, B, UNK], [A, C], [D, A]])).toEqual([B, C, D]);
    expect(singletonIds([[A, A]])).toEqual([]);
  });

  it('scores held-out sentences as new text: words the training sentences lack become unknown', () => {
    expect(asUnseenText([[A, D, B], [C]], [[A, B], [B]])).toEqual([[A, UNK, B], [UNK]]);
  });

  it('lets words seen once stand in for the unknown word in the 3-gram, where they occurred', () => {
    const corpus = [[A, B, C], [A, B, D], [A, B, C], [A, C, C]];
    const plain = KneserNeyTrigram.train(corpus, SIZE);
    const open = KneserNeyTrigram.train(corpus, SIZE, { unknownStandIns: singletonIds(corpus) });
    // D was seen once after `A B`: the unknown word gets real mass there...
    expect(open.probability([A, B], UNK)).toBeGreaterThan(5 * plain.probability([A, B], UNK));
    // ...while D itself stays predictable, and the distribution still sums to 1.
    expect(open.probability([A, B], D)).toBeGreaterThan(open.probability([A, B], A));
    expect(open.distribution([A, B]).reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 12);
    // Where no word was seen once (after `A C`), the unknown word gains nothing.
    expect(open.probability([A, C], UNK)).toBeLessThan(open.probability([A, B], UNK));
  });

  it('refuses a special id as a stand-in', () => {
    expect(() => KneserNeyTrigram.train([[A]], SIZE, { unknownStandIns: [UNK] })).toThrow(RangeError);
    expect(() => KneserNeyTrigram.train([[A]], SIZE, { unknownStandIns: [SIZE] })).toThrow(RangeError);
  });
});

describe('training with words seen once standing in for the unknown word', () => {
  beforeAll(async () => {
    await initBackend();
  });

  // `A B` is followed by a different word each time: the words seen once.
  const WORDS = 12;
  const train = [[4, 5, 6], [4, 5, 7], [4, 5, 8], [4, 5, 9], [4, 5, 10], [4, 5, 11], [4, 5, 6], [4, 5, 6]];
  const hyperparameters = {
    ...defaultHyperparameters({ sentences: train.length, tokens: 24, vocabularySize: WORDS }),
    embeddingSize: 8,
    hiddenSize: 8,
    maxEpochs: 60,
    seed: 5,
  };

  async function unknownProbability(rate: number): Promise<{ unknown: number; seenOnce: number }> {
    const { model } = await trainLanguageModel({ train, validation: [], unknownStandIns: singletonIds(train) }, WORDS, {
      ...hyperparameters,
      unknownWordRate: rate,
    });
    try {
      const distribution = model.nextDistribution([2, 4, 5]);
      return { unknown: distribution[UNK]!, seenOnce: distribution[7]! };
    } finally {
      model.dispose();
    }
  }

  it('learns how likely a new word is where new words appear, and still predicts the words seen once', async () => {
    const without = await unknownProbability(0);
    const half = await unknownProbability(0.5);
    expect(without.unknown).toBeLessThan(0.02);
    expect(half.unknown).toBeGreaterThan(0.15);
    expect(half.seenOnce).toBeGreaterThan(0.02);
  });

  it('refuses a special id as a stand-in', async () => {
    await expect(
      trainLanguageModel({ train, validation: [], unknownStandIns: [UNK] }, WORDS, { ...hyperparameters, unknownWordRate: 0.5 }),
    ).rejects.toThrow(RangeError);
  });
});
