import { describe, expect, it } from 'vitest';
import type { Distribution, NextTokenPredictor } from '../../src/lm/evaluate.ts';
import { evaluate } from '../../src/lm/evaluate.ts';
import { Random } from '../../src/lm/random.ts';
import {
  chooseServedModel,
  combinedNextWordModel,
  combinedPredictor,
  fitGeometricWeights,
  fitMixtureWeight,
  geometricNextWordModel,
  logProbabilities,
  mixturePerplexity,
  mixtureNextWordModel,
  mixturePredictor,
  servedKindFor,
  type LogProbabilities,
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
    const choice = chooseServedModel([{ lstm: flat, train, heldOut: validation }], SIZE);
    expect(choice.targets).toBe(8);
    expect(choice.mixPerplexity).toBeLessThanOrEqual(Math.min(choice.lstmPerplexity, choice.kneserNeyPerplexity) + 1e-9);
    expect(mixturePerplexity(choice)).toBeLessThanOrEqual(choice.mixPerplexity);
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

/** `l^a · k^b`, renormalised. */
function product(l: readonly number[], k: readonly number[], a: number, b: number): number[] {
  const unnormalised = l.map((p, id) => p ** a * k[id]! ** b);
  const total = unnormalised.reduce((sum, p) => sum + p, 0);
  return unnormalised.map((p) => p / total);
}

/** Log-likelihood of the positions' targets under the geometric combination. */
function geometricLogLikelihood(positions: LogProbabilities[], a: number, b: number): number {
  return positions.reduce((sum, { lstm, kneserNey, target }) => {
    const l = Array.from(lstm, Math.exp);
    const k = Array.from(kneserNey, Math.exp);
    return sum + Math.log(product(l, k, a, b)[target]!);
  }, 0);
}

describe('the geometric LSTM × 3-gram mixture', () => {
  /** Positions whose targets were drawn from `l^a · k^b` over six ids, with two random parts each. */
  function drawnFrom(a: number, b: number, count: number): LogProbabilities[] {
    const random = new Random(7);
    const part = (): number[] => {
      const weights = Array.from({ length: 6 }, () => random.uniform(0.05, 1) ** 3);
      const total = weights.reduce((sum, w) => sum + w, 0);
      return weights.map((w) => w / total);
    };
    return Array.from({ length: count }, () => {
      const l = part();
      const k = part();
      const truth = product(l, k, a, b);
      let draw = random.next();
      const target = truth.findIndex((p) => (draw -= p) < 0);
      return logProbabilities(Float64Array.from(l), Float64Array.from(k), target === -1 ? 5 : target);
    });
  }

  it('recovers the exponents the targets were drawn with', () => {
    const fitted = fitGeometricWeights(drawnFrom(0.6, 1.3, 4000));
    // Within what 4,000 draws can tell apart.
    expect(Math.abs(fitted.lstmExponent - 0.6)).toBeLessThan(0.1);
    expect(Math.abs(fitted.kneserNeyExponent - 1.3)).toBeLessThan(0.1);
  });

  it('fits the exponents that maximise the held-out likelihood, never below 0', () => {
    const positions = drawnFrom(0.5, 0.8, 300);
    const { lstmExponent: a, kneserNeyExponent: b } = fitGeometricWeights(positions);
    const best = geometricLogLikelihood(positions, a, b);
    for (const [da, db] of [[0.02, 0], [-0.02, 0], [0, 0.02], [0, -0.02]] as const) {
      expect(best).toBeGreaterThanOrEqual(geometricLogLikelihood(positions, Math.max(0, a + da), Math.max(0, b + db)) - 1e-9);
    }
    // Either part alone, raised to its own power: the other part's exponent stays 0, and it cannot
    // reach the likelihood of both.
    const both = fitGeometricWeights(positions).logLikelihood;
    const lstmAlone = fitGeometricWeights(positions, { alone: 'lstm' });
    const kneserNeyAlone = fitGeometricWeights(positions, { alone: 'kneserNey' });
    expect([lstmAlone.kneserNeyExponent, kneserNeyAlone.lstmExponent]).toEqual([0, 0]);
    expect(lstmAlone.logLikelihood).toBeLessThan(both);
    expect(kneserNeyAlone.logLikelihood).toBeLessThan(both);
    // An LSTM part that gives every target its lowest probability gets no weight at all.
    const againstLstm = drawnFrom(0, 1, 500).map((position) => {
      const lstm = Float32Array.from(position.lstm).sort().reverse();
      const lowest = lstm[lstm.length - 1]!;
      lstm[lstm.length - 1] = lstm[position.target]!;
      lstm[position.target] = lowest;
      return { ...position, lstm };
    });
    expect(fitGeometricWeights(againstLstm).lstmExponent).toBe(0);
  });

  it('does not serve a geometric mixture that owes no more than chance to the LSTM', () => {
    // The 3-gram counted the validation sentences themselves: raising it to a power above 1 helps,
    // and a network that spreads its mass evenly adds nothing to that.
    const sentences = [[A, B, C], [B, C, A], [C, A, B], [A, C, B]];
    const flat = constant([0, 0.2, 0, 0.2, 0.2, 0.2, 0.2, 0]);
    const choice = chooseServedModel([{ lstm: flat, train: [...sentences, ...sentences], heldOut: sentences }], SIZE);
    expect(choice.geometric!.kneserNeyExponent).toBeGreaterThan(1);
    // It validates better than the linear mixture, and still does not serve.
    expect(choice.geometric!.perplexity).toBeLessThan(choice.geometric!.linearPerplexity);
    expect(choice.combination).toBe('linear');
    expect(choice.served).toBe(servedKindFor(choice.lstmWeight));
  });

  it('answers with the renormalised product of the parts raised to their exponents', () => {
    const a = [0, 0.1, 0, 0.1, 0.6, 0.2, 0, 0];
    const b = [0, 0.2, 0, 0.2, 0.1, 0.5, 0, 0];
    const answering = geometricNextWordModel(
      { contextLength: 32, nextDistribution: (): Distribution => Float64Array.from(a) },
      { contextLength: 2, nextDistribution: (): Distribution => Float64Array.from(b) },
      { lstmExponent: 0.5, kneserNeyExponent: 1.5 },
    );
    expect(answering.contextLength).toBe(32);
    const expected = product(a, b, 0.5, 1.5);
    Array.from(answering.nextDistribution([A])).forEach((p, id) => expect(p).toBeCloseTo(expected[id]!, 12));
  });

  it('evaluates and answers with the combination a model chose, geometric or linear', () => {
    const a = [0, 0.1, 0, 0.1, 0.6, 0.2, 0, 0];
    const b = [0, 0.2, 0, 0.2, 0.1, 0.5, 0, 0];
    const exponents = { lstmExponent: 0.5, kneserNeyExponent: 1.5 };
    const parts = [
      { contextLength: 32, nextDistribution: (): Distribution => Float64Array.from(a) },
      { contextLength: 2, nextDistribution: (): Distribution => Float64Array.from(b) },
    ] as const;
    const geometric = combinedPredictor(constant(a), constant(b), { lstmWeight: 0.25, geometric: exponents }).sentenceDistributions([A])[0]!;
    expect(Array.from(geometric)).toEqual(Array.from(geometricNextWordModel(...parts, exponents).nextDistribution([A])));
    expect(Array.from(combinedNextWordModel(...parts, { lstmWeight: 0.25, geometric: exponents }).nextDistribution([A]))).toEqual(Array.from(geometric));
    const linear = combinedPredictor(constant(a), constant(b), { lstmWeight: 0.25, geometric: null }).sentenceDistributions([A])[0]!;
    expect(Array.from(linear)).toEqual(Array.from(mixturePredictor(constant(a), constant(b), 0.25).sentenceDistributions([A])[0]!));
    expect(Array.from(combinedNextWordModel(...parts, { lstmWeight: 0.25, geometric: null }).nextDistribution([A]))).toEqual(Array.from(linear));
  });
});
