import { describe, expect, it } from 'vitest';
import { EOS, UNK } from '../../src/lm/special-tokens.ts';
import { evaluate, rankOf, topCandidates } from '../../src/lm/evaluate.ts';
import type { NextTokenPredictor } from '../../src/lm/evaluate.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';

const X = 4;
const Y = 5;

/** Same distribution inside every sentence, another one where the sentence should end. */
const handMade: NextTokenPredictor = {
  sentenceDistributions: (ids) =>
    [...ids, EOS].map((_, position) =>
      position < ids.length ? Float64Array.of(0, 0.1, 0, 0.2, 0.4, 0.3) : Float64Array.of(0, 0.1, 0, 0.6, 0.2, 0.1),
    ),
};

describe('evaluate', () => {
  it('scores every word and every sentence end, unknown words included', () => {
    const result = evaluate([[X, Y], [UNK]], handMade);
    // Targets: x 0.4 (rank 0), y 0.3 (rank 1), end 0.6 (rank 0); UNK 0.1 (rank 3), end 0.6 (rank 0).
    expect(result.sentences).toBe(2);
    expect(result.tokens).toBe(5);
    expect(result.oovRate).toBeCloseTo(1 / 3, 12);
    const expectedPerplexity = Math.exp(-(Math.log(0.4) + Math.log(0.3) + Math.log(0.6) + Math.log(0.1) + Math.log(0.6)) / 5);
    expect(result.perplexity).toBeCloseTo(expectedPerplexity, 10);
    // The unknown word is among the five most probable ids but never counts as a hit.
    expect(result.top1).toBeCloseTo(3 / 5, 12);
    expect(result.top5).toBeCloseTo(4 / 5, 12);
  });

  it('refuses a predictor that does not give one distribution per target', () => {
    const short: NextTokenPredictor = { sentenceDistributions: (ids) => ids.map(() => Float64Array.of(0, 0, 0, 1, 0, 0)) };
    expect(() => evaluate([[X, Y]], short)).toThrow(RangeError);
  });

  it('evaluates the Kneser-Ney model with the targets aligned to its contexts', () => {
    const training = [[X, Y, X], [Y, X], [X, X, Y]];
    const model = KneserNeyTrigram.train(training, 6);
    const heldOut = [[X, Y], [Y, Y, X]];
    let negativeLogProbability = 0;
    for (const sentence of heldOut) {
      [...sentence, EOS].forEach((target, position) => {
        negativeLogProbability -= Math.log(model.probability(sentence.slice(0, position), target));
      });
    }
    expect(evaluate(heldOut, model).perplexity).toBeCloseTo(Math.exp(negativeLogProbability / 7), 10);
  });
});

describe('ranking', () => {
  it('breaks ties by the smaller id so a flat distribution has one top-1 id', () => {
    const flat = new Float32Array(6).fill(1 / 6);
    expect([0, 1, 2, 5].map((id) => rankOf(flat, id))).toEqual([0, 1, 2, 5]);
    expect(topCandidates(flat, 2).map(({ id }) => id)).toEqual([0, 1]);
  });

  it('lists the most probable ids first and never an impossible one', () => {
    const distribution = Float64Array.of(0, 0.1, 0, 0.2, 0.4, 0.3);
    expect(topCandidates(distribution, 3)).toEqual([
      { id: 4, probability: 0.4 },
      { id: 5, probability: 0.3 },
      { id: 3, probability: 0.2 },
    ]);
    expect(topCandidates(distribution, 10).map(({ id }) => id)).toEqual([4, 5, 3, 1]);
    expect(rankOf(distribution, 3)).toBe(2);
  });
});
