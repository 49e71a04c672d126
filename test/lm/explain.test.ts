import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lm/backend.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';
import { compareWithFixedWindow } from '../../src/lm/explain/fixed-window.ts';
import { magnitudeDrops, stepGradients } from '../../src/lm/explain/gradients.ts';
import { contextIds, explainedInput, type ExplainedInput } from '../../src/lm/explain/input.ts';
import { occlusion } from '../../src/lm/explain/occlusion.ts';
import { rareAndUnknownWords } from '../../src/lm/explain/rare-words.ts';
import { timeForwardPasses } from '../../src/lm/explain/timing.ts';
import { BOS, UNK } from '../../src/lm/special-tokens.ts';
import { corpusSentences, trainFixture, type TrainedFixture } from '../explain/fixture.ts';

const CAT_CONTEXT = 'the cat we met near the river'.split(' ');
const DOG_CONTEXT = 'the dog we met near the river'.split(' ');

let fixture: TrainedFixture;

beforeAll(async () => {
  await initBackend('wasm');
  fixture = await trainFixture();
});

afterAll(() => fixture.model.dispose());

function explain(tokens: readonly string[]): ExplainedInput {
  const input = explainedInput(fixture.model, fixture.vocabulary, tokens);
  if (input === null) throw new Error('nothing to explain');
  return input;
}

describe('the explained input', () => {
  it('reads the words after a start marker and explains the top prediction', () => {
    const input = explain(CAT_CONTEXT);
    expect(input.positions.map((p) => p.token)).toEqual(['<s>', ...CAT_CONTEXT]);
    expect(input.positions[0]?.start).toBe(true);
    expect(fixture.vocabulary.tokenOf(input.targetId)).toBe('purrs');
    expect(input.targetProbability).toBeCloseTo(fixture.model.nextDistribution(contextIds(input))[input.targetId] as number, 6);
  });

  it('keeps only the last words of an input longer than the context, without a start marker', () => {
    const { contextLength } = fixture.model.hyperparameters;
    const long = Array.from({ length: contextLength + 5 }, (_, i) => CAT_CONTEXT[i % CAT_CONTEXT.length] as string);
    const input = explain(long);
    expect(input.truncated).toBe(true);
    expect(input.positions).toHaveLength(contextLength);
    expect(input.positions.some((p) => p.start)).toBe(false);
    expect(input.positions.map((p) => p.token)).toEqual(long.slice(-contextLength));
  });

  it('reads every word of an input exactly as long as the context, without a start marker and not truncated', () => {
    const { contextLength } = fixture.model.hyperparameters;
    const exact = Array.from({ length: contextLength }, (_, i) => CAT_CONTEXT[i % CAT_CONTEXT.length] as string);
    const input = explain(exact);
    expect(input.truncated).toBe(false);
    expect(input.positions.some((p) => p.start)).toBe(false);
    expect(input.positions.map((p) => p.token)).toEqual(exact);
  });

  it('marks unknown words and has nothing to explain when every word is unknown', () => {
    const input = explain(['the', 'zebra', 'runs']);
    expect(input.unknown).toEqual(['zebra']);
    expect(input.positions.filter((p) => p.unknown).map((p) => p.token)).toEqual(['zebra']);
    expect(explainedInput(fixture.model, fixture.vocabulary, ['zebra', 'okapi'])).toBeNull();
    expect(explainedInput(fixture.model, fixture.vocabulary, [])).toBeNull();
  });
});

describe('occlusion', () => {
  it('lowers the prediction’s probability when the word the model relies on is hidden', () => {
    const input = explain(CAT_CONTEXT);
    const result = occlusion(fixture.model, contextIds(input), input.targetId);
    const cat = result.effects.find((effect) => input.positions[effect.position]?.token === 'cat');
    expect(result.baseline).toBeGreaterThan(0.5);
    expect(cat?.change).toBeLessThan(-0.3);
    expect(cat?.probability).toBeCloseTo(result.baseline + (cat?.change ?? 0), 6);
    // Without "cat" the sentence could as well be about the dog.
    expect(fixture.vocabulary.tokenOf(cat?.topId ?? UNK)).toBe('barks');
  });

  it('measures every typed known word once and leaves out the start marker and unknown words', () => {
    const input = explain(['the', 'zebra', 'we', 'met']);
    const ids = contextIds(input);
    const result = occlusion(fixture.model, ids, input.targetId);
    expect(result.effects.map((effect) => effect.position)).toEqual([1, 3, 4]);
    for (const effect of result.effects) {
      const hidden = ids.map((id, index) => (index === effect.position ? UNK : id));
      expect(effect.probability).toBeCloseTo(fixture.model.nextDistribution(hidden)[input.targetId] as number, 6);
    }
  });
});

describe('gradients', () => {
  it('gives one finite norm per position for embeddings, hidden and cell states', () => {
    const input = explain(DOG_CONTEXT);
    const ids = contextIds(input);
    const result = stepGradients(fixture.model, ids, input.targetId);
    for (const series of [result.embedding, result.gradientTimesInput, result.hidden, result.cell]) {
      expect(series).toHaveLength(ids.length);
      expect(series.every(Number.isFinite)).toBe(true);
    }
    expect([...result.embedding, ...result.hidden, ...result.cell].every((norm) => norm >= 0)).toBe(true);
    expect(result.hidden.some((norm) => norm > 0)).toBe(true);
    expect(result.logProbability).toBeCloseTo(Math.log(input.targetProbability), 4);
  });

  it('agrees with the model’s own input gradients', () => {
    const input = explain(CAT_CONTEXT);
    const ids = contextIds(input);
    const reference = fixture.model.inputGradients(ids, input.targetId);
    const result = stepGradients(fixture.model, ids, input.targetId);
    reference.gradients.forEach((gradient, t) => {
      const embedding = reference.embeddings[t] as Float32Array;
      const expectedNorm = Math.hypot(...gradient);
      const expectedDot = gradient.reduce((sum, g, k) => sum + g * (embedding[k] as number), 0);
      expect(Math.abs((result.embedding[t] as number) - expectedNorm)).toBeLessThan(1e-6 + 1e-3 * expectedNorm);
      expect(Math.abs((result.gradientTimesInput[t] as number) - expectedDot)).toBeLessThan(1e-6 + 1e-3 * Math.abs(expectedDot));
    });
  });

  it('gives the last step the gradients the output layer and the cell equations imply', () => {
    const { model } = fixture;
    const input = explain(['the', 'cat', 'we']);
    const ids = contextIds(input);
    const target = input.targetId;
    const H = model.hiddenSize;
    const V = model.vocabSize;
    // d log p(target) / d h_T = W[:, target] - sum_v p_v W[:, v] for the dense kernel W.
    const p = model.nextDistribution(ids);
    const dense = model.weightValues().output;
    const hiddenGradient = Array.from({ length: H }, (_, j) => {
      let expected = dense[j * V + target] as number;
      for (let v = 0; v < V; v++) expected -= (p[v] as number) * (dense[j * V + v] as number);
      return expected;
    });
    // d/dc_T = d/dh_T * o_T * (1 - tanh²(c_T)), with o_T = h_T / tanh(c_T).
    const states = model.hiddenStates(ids);
    const h = states.hidden.at(-1) as Float32Array;
    const c = states.cells.at(-1) as Float32Array;
    const cellGradient = hiddenGradient.map((g, j) => {
      const t = Math.tanh(c[j] as number);
      return g * ((h[j] as number) / t) * (1 - t * t);
    });
    const norm = (values: number[]): number => Math.hypot(...values);
    const result = stepGradients(model, ids, target);
    expect(result.hidden.at(-1)).toBeCloseTo(norm(hiddenGradient), 4);
    expect(result.cell.at(-1)).toBeCloseTo(norm(cellGradient), 4);
  });

  it('reports each order of magnitude the gradient loses, walking back from the last step', () => {
    expect(magnitudeDrops([1e-4, 1e-3, 0.05, 1])).toEqual([
      { factor: 10, step: 2 },
      { factor: 100, step: 1 },
      { factor: 1000, step: 1 },
      { factor: 10000, step: 0 },
    ]);
    expect(magnitudeDrops([0.5, 0.9, 1])).toEqual([]);
    expect(magnitudeDrops([0, 1]).length).toBeGreaterThan(3);
    expect(magnitudeDrops([1, 0])).toEqual([]);
  });
});

describe('forward-pass timing', () => {
  it('times each length and shows the sequential steps cost more than one batched step', () => {
    // Each run takes well under a millisecond: many repeats keep the medians robust on a busy machine.
    const result = timeForwardPasses(fixture.model, [4, 64], 25, [BOS, 4, 5]);
    expect(result.timings.map((timing) => timing.length)).toEqual([4, 64]);
    for (const timing of result.timings) {
      for (const ms of [timing.forwardMs, timing.sequentialMs, timing.batchedMs]) expect(ms).toBeGreaterThan(0);
    }
    const [short, long] = result.timings as [(typeof result.timings)[0], (typeof result.timings)[0]];
    expect(long.forwardMs).toBeGreaterThan(short.forwardMs);
    expect(long.batchedMs).toBeLessThan(long.sequentialMs);
    expect(result.msPerStep).toBeGreaterThan(0);
  });

  it('refuses a non-positive number of repeats', () => {
    expect(() => timeForwardPasses(fixture.model, [4], 0)).toThrow(RangeError);
  });
});

describe('rare and unknown words', () => {
  it('lists unknown and rare words with their counts and predicts without them', () => {
    const tokens = ['a', 'bird', 'zebra', 'the', 'cat'];
    const result = rareAndUnknownWords(fixture.model, fixture.vocabulary, tokens, { rareBelow: 2, count: 3 });
    expect(result.words).toEqual([
      { token: 'a', index: 0, count: 1, kind: 'rare' },
      { token: 'bird', index: 1, count: 1, kind: 'rare' },
      { token: 'zebra', index: 2, count: 0, kind: 'unknown' },
    ]);
    expect(result.withThem).toHaveLength(3);
    const alone = explain(['the', 'cat']);
    expect(result.withoutThem?.[0]?.word).toBe(fixture.vocabulary.tokenOf(alone.targetId));
  });

  it('has nothing to compare when no word is weak or every word is', () => {
    expect(rareAndUnknownWords(fixture.model, fixture.vocabulary, ['the', 'cat'], { rareBelow: 2, count: 3 }).withoutThem).toBeNull();
    const allWeak = rareAndUnknownWords(fixture.model, fixture.vocabulary, ['zebra', 'okapi'], { rareBelow: 2, count: 3 });
    expect(allWeak.words.map((word) => word.kind)).toEqual(['unknown', 'unknown']);
    expect(allWeak.withThem).toEqual([]);
    expect(allWeak.withoutThem).toBeNull();
  });
});

describe('fixed window against recurrence', () => {
  it('shows the trigram cannot see the word that decides, while the LSTM does', () => {
    const { model, vocabulary } = fixture;
    const trigram = KneserNeyTrigram.train(corpusSentences.map((sentence) => vocabulary.encode(sentence).ids), vocabulary.size);
    const cat = compareWithFixedWindow(model, trigram, vocabulary, contextIds(explain(CAT_CONTEXT)), 3);
    const dog = compareWithFixedWindow(model, trigram, vocabulary, contextIds(explain(DOG_CONTEXT)), 3);
    expect(cat.wordsBeyondWindow).toBe(5);
    expect(cat.lstm[0]?.word).toBe('purrs');
    expect(dog.lstm[0]?.word).toBe('barks');
    // Both contexts end in "the river": the trigram answers the same for both.
    expect(dog.trigram).toEqual(cat.trigram);
    expect(cat.shiftFromEarlierWords).toBeGreaterThan(0.3);
    expect(cat.disagreement).toBeGreaterThan(0);
    expect(cat.trigramOnLstmTop).toBeLessThan(cat.lstm[0]?.probability ?? 0);
  });

  it('finds no words beyond the window for a two-word input', () => {
    const { model, vocabulary } = fixture;
    const trigram = KneserNeyTrigram.train(corpusSentences.map((sentence) => vocabulary.encode(sentence).ids), vocabulary.size);
    const result = compareWithFixedWindow(model, trigram, vocabulary, contextIds(explain(['the', 'cat'])), 3);
    expect(result.wordsBeyondWindow).toBe(0);
    expect(result.shiftFromEarlierWords).toBe(0);
    expect(result.lstmWindowOnly).toEqual(result.lstm);
  });
});

it('leaves no tensors behind', () => {
  const { model, vocabulary } = fixture;
  const input = explain(CAT_CONTEXT);
  const ids = contextIds(input);
  const trigram = KneserNeyTrigram.train(corpusSentences.map((sentence) => vocabulary.encode(sentence).ids), vocabulary.size);
  const before = tf.memory().numTensors;
  occlusion(model, ids, input.targetId);
  stepGradients(model, ids, input.targetId);
  timeForwardPasses(model, [4, 8], 1);
  rareAndUnknownWords(model, vocabulary, ['a', 'zebra', 'cat'], { rareBelow: 2, count: 3 });
  compareWithFixedWindow(model, trigram, vocabulary, ids, 3);
  explainedInput(model, vocabulary, CAT_CONTEXT);
  expect(tf.memory().numTensors).toBe(before);
});
