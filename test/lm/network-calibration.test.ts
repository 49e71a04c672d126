import { describe, expect, it } from 'vitest';
import { evaluate, type NextTokenPredictor } from '../../src/lm/evaluate.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';
import { calibrate, fitCalibration, type CalibrationPosition, type NetworkCalibration } from '../../src/lm/network-calibration.ts';
import { Random } from '../../src/lm/random.ts';
import {
  chooseServedModel,
  combinedNextWordModel,
  combinedPredictor,
  fitMixtureWeight,
  mixturePredictor,
  servedCalibration,
  servedFrequencyWeights,
  servedGeometricWeights,
} from '../../src/lm/served-model.ts';
import { frequencyMixture, trainingCounts } from '../../src/lm/frequency-weights.ts';
import { BOS, EOS, UNK } from '../../src/lm/special-tokens.ts';

const SIZE = 8;
/** What follows each id: the unknown word, the end of sentence and the four words 4..7. */
const OUTCOMES = [UNK, EOS, 4, 5, 6, 7];

/** A random distribution over {@link OUTCOMES}, as a vocabulary-wide array. */
function randomDistribution(random: Random): Float64Array {
  const distribution = new Float64Array(SIZE);
  for (const id of OUTCOMES) distribution[id] = random.uniform(0.05, 1) ** 3;
  const total = distribution.reduce((sum, p) => sum + p, 0);
  return distribution.map((p) => p / total);
}

/** Draws an id from `distribution`. */
function draw(distribution: Float64Array, random: Random): number {
  let left = random.next();
  const id = distribution.findIndex((p) => (left -= p) < 0);
  return id === -1 ? EOS : id;
}

/** A bigram source of sentences: what follows each previous id (BOS for the first word). */
function bigramSource(random: Random): Map<number, Float64Array> {
  return new Map([BOS, UNK, 4, 5, 6, 7].map((previous) => [previous, randomDistribution(random)]));
}

function sentencesFrom(source: Map<number, Float64Array>, count: number, random: Random): number[][] {
  return Array.from({ length: count }, () => {
    const sentence: number[] = [];
    for (let id = draw(source.get(BOS)!, random); id !== EOS && sentence.length < 12; id = draw(source.get(id)!, random)) sentence.push(id);
    return sentence;
  });
}

/**
 * A network that has learnt the source mixed with guesses (so that the 3-gram adds to it), its
 * distributions then reshaped by `miscalibration`.
 */
function networkOf(source: Map<number, Float64Array>, guesses: Map<number, Float64Array>, miscalibration: NetworkCalibration): NextTokenPredictor {
  const learnt = (previous: number) => source.get(previous)!.map((p, id) => 0.7 * p + 0.3 * guesses.get(previous)![id]!);
  return {
    sentenceDistributions: (ids) =>
      Array.from({ length: ids.length + 1 }, (_, position) => calibrate(learnt(position === 0 ? BOS : ids[position - 1]!), miscalibration)),
  };
}

describe('calibrating the network before the mixture', () => {
  it('raises its probabilities to the exponent and scales the unknown word, then renormalises', () => {
    const distribution = Float64Array.from([0, 0.2, 0, 0.1, 0.4, 0.3, 0, 0]);
    expect(Array.from(calibrate(distribution, { exponent: 1, unknownScale: 1 }))).toEqual(Array.from(distribution));
    const sharper = calibrate(distribution, { exponent: 2, unknownScale: 1 });
    // 0.04 + 0.01 + 0.16 + 0.09 = 0.3
    [0, 0.04, 0, 0.01, 0.16, 0.09, 0, 0].forEach((p, id) => expect(sharper[id]).toBeCloseTo(p / 0.3, 12));
    const moreUnknown = calibrate(distribution, { exponent: 1, unknownScale: 3 });
    [0, 0.6, 0, 0.1, 0.4, 0.3, 0, 0].forEach((p, id) => expect(moreUnknown[id]).toBeCloseTo(p / 1.4, 12));
    // Answering with the network alone (λ 1) in a mixture that calibrates it answers with the calibrated network.
    const network = { contextLength: 32, nextDistribution: () => distribution };
    const calibratedAlone = combinedNextWordModel(network, network, { lstmWeight: 1, geometric: null, calibration: { exponent: 2, unknownScale: 1 } });
    expect(Array.from(calibratedAlone.nextDistribution([4]))).toEqual(Array.from(sharper));
  });

  it('recovers the exponent, unknown-word scale and weight the targets were drawn with', () => {
    const random = new Random(5);
    const truth = { exponent: 2, unknownScale: 3 };
    const positions: CalibrationPosition[] = Array.from({ length: 4000 }, () => {
      const lstm = randomDistribution(random);
      const kneserNey = randomDistribution(random);
      const calibrated = calibrate(lstm, truth);
      const target = draw(calibrated.map((p, id) => 0.6 * p + 0.4 * kneserNey[id]!), random);
      return { lstm: Float32Array.from(lstm, (p) => Math.max(-70, Math.log(p))), kneserNey: kneserNey[target]!, target };
    });
    const fitted = fitCalibration(positions, fitMixtureWeight);
    // Within what 4,000 draws can tell apart.
    expect(Math.abs(fitted.exponent - truth.exponent)).toBeLessThan(0.2);
    expect(Math.abs(Math.log(fitted.unknownScale / truth.unknownScale))).toBeLessThan(0.3);
    expect(Math.abs(fitted.lstmWeight - 0.6)).toBeLessThan(0.1);
  });

  it('serves a network that expects too few new words calibrated, and evaluates it as it was chosen', () => {
    const random = new Random(9);
    const source = bigramSource(random);
    const train = sentencesFrom(source, 40, random);
    const heldOut = sentencesFrom(source, 400, random);
    const underconfident = networkOf(source, bigramSource(random), { exponent: 1, unknownScale: 0.25 });
    const choice = chooseServedModel([{ lstm: underconfident, train, heldOut }], SIZE);
    expect(choice.combination).toBe('linear');
    expect(choice.served).toBe('mix');
    expect(choice.calibration!.unknownScale).toBeGreaterThan(2);
    const kneserNey = KneserNeyTrigram.trainWithUnknownWords(train, SIZE);
    const frequencyWeights = servedFrequencyWeights(choice);
    const byFrequency = frequencyWeights && frequencyMixture(frequencyWeights, trainingCounts(train, SIZE), train.length);
    const weights = { lstmWeight: choice.lstmWeight, geometric: servedGeometricWeights(choice), calibration: servedCalibration(choice), byFrequency };
    const served = evaluate(heldOut, combinedPredictor(underconfident, kneserNey, weights)).perplexity;
    expect(served).toBeCloseTo(choice.mixPerplexity, 6);
    const calibrated: NextTokenPredictor = {
      sentenceDistributions: (ids) => underconfident.sentenceDistributions(ids).map((distribution) => calibrate(distribution, choice.calibration!)),
    };
    const uncalibratedWeights = { lstmWeight: choice.lstmWeight, geometric: null, byFrequency };
    expect(served).toBeCloseTo(evaluate(heldOut, combinedPredictor(calibrated, kneserNey, uncalibratedWeights)).perplexity, 9);
    // Better than uncalibrated mixtures on the same sentences.
    for (const lambda of [0.25, 0.5, 0.75]) expect(served).toBeLessThan(evaluate(heldOut, mixturePredictor(underconfident, kneserNey, lambda)).perplexity);
    expect(choice.mixPerplexity).toBeLessThan(choice.lstmPerplexity);
  });

  it('leaves a network uncalibrated when calibrating it gains no more than chance', () => {
    const random = new Random(9);
    const source = bigramSource(random);
    const choice = chooseServedModel([{ lstm: networkOf(source, bigramSource(random), { exponent: 1, unknownScale: 1 }), train: sentencesFrom(source, 40, random), heldOut: sentencesFrom(source, 400, random) }], SIZE);
    expect(choice.lstmWeight).toBeGreaterThan(0);
    expect(choice.lstmWeight).toBeLessThan(1);
    expect(choice.calibration).toBeNull();
  });
});
