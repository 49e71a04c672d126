import { describe, expect, it } from 'vitest';
import type { Distribution, NextTokenPredictor } from '../../src/lm/evaluate.ts';
import { evaluate } from '../../src/lm/evaluate.ts';
import {
  chooseServedModel,
  fitMixtureWeight,
  mixtureNextWordModel,
  mixturePredictor,
  servedKindFor,
} from '../../src/lm/served-model.ts';

const SIZE = 8;
const A = 4;
const B = 5;
const C = 6;

/** A predictor that gives every position the same distribution. */
function constant(distribution: number[]): NextTokenPredictor {
  return { sentenceDistributions: (ids) => Array.from({ length: ids.length + 1 }, () => Float64Array.from(distribution)) };
}

/** Log-likelihood of targets under the mixture, for checking the fitted weight is the maximum. */
function logLikelihood(a: number[], b: number[], lambda: number): number {
  return a.reduce((sum, p, i) => sum + Math.log(lambda * p + (1 - lambda) * b[i]!), 0);
}

describe('the LSTM + 3-gram mixture', () => {
  it('fits the weight that maximises the held-out likelihood', () => {
    const a = [0.5, 0.01, 0.3, 0.02, 0.6];
    const b = [0.1, 0.2, 0.05, 0.3, 0.1];
    const lambda = fitMixtureWeight(a, b);
    expect(lambda).toBeGreaterThan(0);
    expect(lambda).toBeLessThan(1);
    for (const other of [lambda - 0.01, lambda + 0.01]) {
      expect(logLikelihood(a, b, lambda)).toBeGreaterThan(logLikelihood(a, b, other));
    }
  });

  it('gives exactly 1 or 0 when one model is better on every target', () => {
    expect(fitMixtureWeight([0.5, 0.4], [0.1, 0.1])).toBe(1);
    expect(fitMixtureWeight([0.1, 0.1], [0.5, 0.4])).toBe(0);
    expect(fitMixtureWeight([], [])).toBe(0);
    expect(servedKindFor(1)).toBe('lstm');
    expect(servedKindFor(0)).toBe('kneser-ney');
    expect(servedKindFor(0.4)).toBe('mix');
  });

  it('never validates worse than either part', () => {
    const train = [[A, B, C], [A, B, A], [B, C], [A, B, C]];
    const validation = [[A, B, C], [B, C, A]];
    // A predictor that spreads its mass evenly over the words and the end of sentence.
    const flat = constant([0, 0.2, 0, 0.2, 0.2, 0.2, 0.2, 0]);
    const choice = chooseServedModel(flat, train, validation, SIZE);
    expect(choice.targets).toBe(8);
    expect(choice.mixPerplexity).toBeLessThanOrEqual(Math.min(choice.lstmPerplexity, choice.kneserNeyPerplexity) + 1e-9);
    expect(choice.lstmPerplexity).toBeCloseTo(5, 9);
    expect(choice.served).toBe(servedKindFor(choice.lstmWeight));
  });

  it('mixes distributions with the fitted weight, for evaluation and for answering', () => {
    const a = [0, 0.1, 0, 0.1, 0.8, 0, 0, 0];
    const b = [0, 0.1, 0, 0.1, 0, 0.8, 0, 0];
    const mixed = mixturePredictor(constant(a), constant(b), 0.25).sentenceDistributions([A]);
    expect(Array.from(mixed[0]!)).toEqual([0, 0.1, 0, 0.1, 0.2, 0.6000000000000001, 0, 0]);
    const answering = mixtureNextWordModel(
      { contextLength: 32, nextDistribution: (): Distribution => Float64Array.from(a) },
      { contextLength: 2, nextDistribution: (): Distribution => Float64Array.from(b) },
      0.25,
    );
    expect(answering.contextLength).toBe(32);
    expect(Array.from(answering.nextDistribution([A]))).toEqual(Array.from(mixed[0]!));
    expect(evaluate([[A]], mixturePredictor(constant(a), constant(b), 1)).perplexity).toBeCloseTo(evaluate([[A]], constant(a)).perplexity, 12);
  });
});
