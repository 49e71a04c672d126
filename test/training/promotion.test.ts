import { describe, expect, it } from 'vitest';
import type { NextTokenPredictor } from '../../src/lm/evaluate.ts';
import { EOS } from '../../src/lm/special-tokens.ts';
import { Vocabulary } from '../../src/lm/vocabulary.ts';
import { decidePromotion, sharedTargetLosses } from '../../src/training/promotion.ts';

/** A predictor giving the same distribution at every position. */
function constantPredictor(vocabulary: Vocabulary, probabilities: Record<string, number>): NextTokenPredictor {
  const distribution = new Float64Array(vocabulary.size);
  for (const [token, p] of Object.entries(probabilities)) distribution[token === '</s>' ? EOS : vocabulary.idOf(token)] = p;
  return { sentenceDistributions: (ids) => [...ids, EOS].map(() => distribution) };
}

describe('sharedTargetLosses', () => {
  const small = Vocabulary.build([['a', 'b']], { minCount: 1, maxSize: 10 });
  const large = Vocabulary.build([['a', 'b', 'c']], { minCount: 1, maxSize: 10 });

  it('scores only the words every model knows, plus the end of each sentence', () => {
    const { losses, targets } = sharedTargetLosses(
      [
        { vocabulary: small, predictor: constantPredictor(small, { a: 0.5, b: 0.25, '</s>': 0.25 }) },
        { vocabulary: large, predictor: constantPredictor(large, { a: 0.25, b: 0.25, c: 0.25, '</s>': 0.25 }) },
      ],
      [['a', 'c', 'b']],
    );
    // 'c' is unknown to the small vocabulary: targets a, b and the end of the sentence.
    expect(targets).toBe(3);
    expect(losses[0]).toBeCloseTo(-(Math.log(0.5) + 2 * Math.log(0.25)) / 3, 12);
    expect(losses[1]).toBeCloseTo(Math.log(4), 12);
  });

  it('gives a finite, large loss to a target of probability zero', () => {
    const { losses } = sharedTargetLosses(
      [{ vocabulary: small, predictor: constantPredictor(small, { a: 1 }) }],
      [['a']],
    );
    expect(losses[0]).toBeGreaterThan(10);
    expect(Number.isFinite(losses[0])).toBe(true);
  });
});

describe('decidePromotion', () => {
  it('promotes a model up to 5% worse than the serving one and keeps back a clearly worse one', () => {
    expect(decidePromotion({ newLoss: 2.0, servingLoss: 2.1, sentences: 40 }).promote).toBe(true);
    expect(decidePromotion({ newLoss: 2.09, servingLoss: 2.0, sentences: 40 }).promote).toBe(true);
    const worse = decidePromotion({ newLoss: 2.11, servingLoss: 2.0, sentences: 40 });
    expect(worse.promote).toBe(false);
    expect(worse.note).toMatch(/not promoted.*2\.1100.*2\.0000.*40 sentences/);
  });

  it('never promotes a model whose loss is not a number', () => {
    expect(decidePromotion({ newLoss: Number.NaN, servingLoss: 2, sentences: 5 }).promote).toBe(false);
  });
});
