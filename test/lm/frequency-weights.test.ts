import { describe, expect, it } from 'vitest';
import { evaluate, type NextTokenPredictor } from '../../src/lm/evaluate.ts';
import {
  classesOf,
  fitFrequencyWeights,
  fitSignificantFrequencyWeights,
  frequencyClassBounds,
  frequencyMixture,
  FrequencyPositions,
  MIN_CLASS_TARGETS,
  mixByFrequency,
  trainingCounts,
} from '../../src/lm/frequency-weights.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';
import { Random } from '../../src/lm/random.ts';
import { chooseServedModel, combinedPredictor, fitMixtureWeight, mixturePredictor, servedCalibration, servedFrequencyWeights } from '../../src/lm/served-model.ts';
import { BOS, EOS, UNK } from '../../src/lm/special-tokens.ts';

const SIZE = 12;
/** The end of sentence and two common words, which the network below knows exactly. */
const COMMON = [EOS, 4, 5];
/** Rarer words: the network knows only how likely one of them is, not which. */
const RARE = [UNK, 6, 7, 8, 9, 10, 11];

/** What follows each previous id: random, the common ids likelier. */
function source(random: Random): Map<number, Float64Array> {
  return new Map(
    [BOS, ...COMMON.slice(1), ...RARE].map((previous) => {
      const next = new Float64Array(SIZE);
      for (const id of COMMON) next[id] = random.uniform(1, 3);
      for (const id of RARE) next[id] = random.uniform(0, 1) ** 2;
      const total = next.reduce((sum, p) => sum + p, 0);
      return [previous, next.map((p) => p / total)];
    }),
  );
}

function sentencesFrom(truth: Map<number, Float64Array>, count: number, random: Random): number[][] {
  return Array.from({ length: count }, () => {
    const sentence: number[] = [];
    for (;;) {
      const next = truth.get(sentence.at(-1) ?? BOS)!;
      let left = random.next();
      const id = next.findIndex((p) => (left -= p) < 0);
      if (id === EOS || id === -1 || sentence.length === 15) return sentence;
      sentence.push(id);
    }
  });
}

/** A network right about the common ids and flat among the rare ones. */
function networkOf(truth: Map<number, Float64Array>): NextTokenPredictor {
  const next = (previous: number): Float64Array => {
    const exact = truth.get(previous)!;
    const rareShare = RARE.reduce((sum, id) => sum + exact[id]!, 0) / RARE.length;
    return exact.map((p, id) => (RARE.includes(id) ? rareShare : p));
  };
  return { sentenceDistributions: (ids) => Array.from({ length: ids.length + 1 }, (_, position) => next(position === 0 ? BOS : ids[position - 1]!)) };
}

/**
 * 6,000 positions of two random distributions over ten ids, six of class 0 and four of class 1,
 * each target drawn from their mixture with `lstmWeights`.
 */
function positionsDrawnWith(lstmWeights: number[], random: Random): FrequencyPositions {
  const classOfId = Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  const draw = (): Float64Array => {
    const p = Float64Array.from(classOfId, () => random.uniform(0.05, 1) ** 3);
    const total = p.reduce((sum, value) => sum + value, 0);
    return p.map((value) => value / total);
  };
  const positions = new FrequencyPositions(2);
  for (let n = 0; n < 6000; n++) {
    const lstm = draw();
    const kneserNey = draw();
    let left = random.next();
    const target = Math.max(0, mixByFrequency(lstm, kneserNey, { lstmWeights, classOfId }).findIndex((p) => (left -= p) < 0));
    positions.add(lstm, kneserNey, target, classOfId);
  }
  return positions;
}

describe('λ by word frequency', () => {
  it('counts each id of the training sentences, and the end of sentence once per sentence', () => {
    expect(Array.from(trainingCounts([[4, 5, 4], [6]], 8))).toEqual([0, 0, 0, 2, 2, 1, 1, 0]);
  });

  it('classes targets by doubling counts, merging classes until each holds enough targets', () => {
    const targets = (count: number, times: number) => Array.from({ length: times }, () => count);
    // Counts 1, 2-3, 4-7, 8-15 and 16-31 with 150, 60, 60, 30 and 120 targets: 2-3 and 4-7 merge
    // (120), and 8-15 with 16-31 (150).
    expect(frequencyClassBounds([...targets(1, 150), ...targets(3, 60), ...targets(5, 60), ...targets(9, 30), ...targets(20, 120)])).toEqual([2, 8]);
    // The unknown word (count 0) is with the words seen once; a last class short of targets joins the one below.
    expect(frequencyClassBounds([...targets(0, 80), ...targets(1, 40), ...targets(2, 150), ...targets(40, MIN_CLASS_TARGETS - 1)])).toEqual([2]);
    expect(frequencyClassBounds(targets(7, 3 * MIN_CLASS_TARGETS))).toEqual([]);
    expect(Array.from(classesOf([0, 1, 2, 15, 16, 400], [2, 16]))).toEqual([0, 0, 1, 1, 2, 2]);
    // Served by a model trained on twice the sentences, counts read at half: 4 is in the class 2 was.
    const weights = { countBounds: [2, 16], lstmWeights: [0.1, 0.2, 0.3], sentences: 50 };
    expect(Array.from(frequencyMixture(weights, [0, 1, 3, 4, 31, 32], 100).classOfId)).toEqual([0, 0, 0, 1, 1, 2]);
  });

  it('mixes each class with its own weight and renormalises; equal weights are the one-λ mixture', () => {
    const lstm = Float64Array.from([0, 0.1, 0, 0.3, 0.4, 0.2]);
    const kneserNey = Float64Array.from([0, 0.3, 0, 0.1, 0.2, 0.4]);
    const classOfId = Uint8Array.from([0, 0, 0, 1, 1, 0]);
    const same = mixByFrequency(lstm, kneserNey, { lstmWeights: [0.3, 0.3], classOfId });
    lstm.forEach((p, id) => expect(same[id]).toBeCloseTo(0.3 * p + 0.7 * kneserNey[id]!, 12));
    const mixed = mixByFrequency(lstm, kneserNey, { lstmWeights: [0, 1], classOfId });
    // Class 0 from the 3-gram (0.3 + 0.4), class 1 from the network (0.3 + 0.4): 1.4 in all.
    [0, 0.3, 0, 0.3, 0.4, 0.4].forEach((p, id) => expect(mixed[id]).toBeCloseTo(p / 1.4, 12));
  });

  it('recovers the weights the targets were drawn with', () => {
    const truth = [0.9, 0.2];
    const positions = positionsDrawnWith(truth, new Random(3));
    const { lstmWeights, logLikelihood } = fitFrequencyWeights(positions, 0.5);
    lstmWeights.forEach((weight, c) => expect(Math.abs(weight - truth[c]!)).toBeLessThan(0.08));
    const oneWeight = positions.logLikelihoods([0.5, 0.5]).reduce((sum, value) => sum + value, 0);
    expect(logLikelihood).toBeGreaterThan(oneWeight);
    expect(fitSignificantFrequencyWeights(positions, 0.5, { countBounds: [6], sentences: 6000 })?.lstmWeights).toEqual(lstmWeights);
  });

  it('keeps one λ when weighing classes apart gains no more than chance', () => {
    const positions = positionsDrawnWith([0.6, 0.6], new Random(3));
    const oneWeight = fitMixtureWeight(positions.lstm, positions.kneserNey);
    const { logLikelihood } = fitFrequencyWeights(positions, oneWeight);
    // Two weights always fit the sample a little better than one, by chance.
    expect(logLikelihood).toBeGreaterThan(positions.logLikelihoods([oneWeight, oneWeight]).reduce((sum, value) => sum + value, 0));
    expect(fitSignificantFrequencyWeights(positions, oneWeight, { countBounds: [6], sentences: 6000 })).toBeNull();
  });

  it('serves the network for the words it knows and the 3-gram for the others, evaluated as it was chosen', () => {
    const random = new Random(11);
    const truth = source(random);
    const train = sentencesFrom(truth, 60, random);
    const heldOut = sentencesFrom(truth, 500, random);
    const network = networkOf(truth);
    const choice = chooseServedModel([{ lstm: network, train, heldOut }], SIZE);
    expect(choice.served).toBe('mix');
    expect(choice.combination).toBe('linear');
    const weights = servedFrequencyWeights(choice)!;
    expect(weights.lstmWeights.length).toBeGreaterThan(1);
    // The class of the end of sentence, the most frequent id, trusts the network more than the rarest class.
    const classes = classesOf(trainingCounts(train, SIZE), weights.countBounds);
    expect(weights.lstmWeights[classes[EOS]!]!).toBeGreaterThan(weights.lstmWeights[0]! + 0.2);

    const kneserNey = KneserNeyTrigram.trainWithUnknownWords(train, SIZE);
    const byFrequency = frequencyMixture(weights, trainingCounts(train, SIZE), train.length);
    const mixture = { lstmWeight: choice.lstmWeight, geometric: null, calibration: servedCalibration(choice), byFrequency };
    const served = evaluate(heldOut, combinedPredictor(network, kneserNey, mixture)).perplexity;
    expect(served).toBeCloseTo(choice.mixPerplexity, 6);
    for (const lambda of [0.2, 0.4, 0.6, 0.8]) expect(served).toBeLessThan(evaluate(heldOut, mixturePredictor(network, kneserNey, lambda)).perplexity);
  });
});
