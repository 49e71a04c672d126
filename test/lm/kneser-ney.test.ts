import { describe, expect, it } from 'vitest';
import { BOS, EOS, PAD, UNK } from '../../src/lm/special-tokens.ts';
import { estimateDiscounts, FALLBACK_DISCOUNT, type KneserNeyState } from '../../src/lm/kneser-ney-counts.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';

// Words of the tiny corpus; ids 0-3 are the special tokens.
const A = 4;
const B = 5;
const C = 6;
const SIZE = 7;
const corpus = [
  [A, B, C],
  [A, B, A],
  [B, C],
  [A, B, C],
];

const sum = (values: Float64Array): number => values.reduce((total, value) => total + value, 0);

describe('KneserNeyTrigram', () => {
  const model = KneserNeyTrigram.train(corpus, SIZE);

  it('gives distributions that sum to 1 after seen, unseen and start contexts', () => {
    for (const context of [[], [A], [A, B], [B, C], [C, A], [UNK, UNK], [BOS, A], [EOS]]) {
      expect(Math.abs(sum(model.distribution(context)) - 1)).toBeLessThan(1e-9);
    }
  });

  it('gives every id that can follow a context a non-zero probability, and padding or start none', () => {
    const distribution = model.distribution([C, A]);
    for (const id of [UNK, EOS, A, B, C]) expect(distribution[id]).toBeGreaterThan(0);
    expect(distribution[PAD]).toBe(0);
    expect(distribution[BOS]).toBe(0);
  });

  it('ranks a seen trigram above every unseen continuation', () => {
    // `a b c` was seen twice, `a b a` once; nothing else follows `a b`.
    const [first, second, third] = model.topK([A, B], 3);
    expect(first?.id).toBe(C);
    expect(second?.id).toBe(A);
    expect(third!.probability).toBeLessThan(second!.probability);
  });

  it('matches probabilities computed by hand from the counts', () => {
    // Counts of counts are too sparse for three discounts per level, so each level uses
    // Y = n1 / (n1 + 2 n2) for every count.
    // Trigram level (contexts other than BOS BOS): B·a·b 3, a·b·c 2, a·b·a 1, b·c·E 3, b·a·E 1,
    // B·b·c 1 -> n1 = 3, n2 = 1 -> D3 = 3/5.
    const d3 = 3 / 5;
    // Bigram level: continuation counts a·b 1, b·a 1, b·c 2 (after a and after BOS), c·E 1, a·E 1;
    // raw counts after the start B·a 3, B·b 1 -> n1 = 5, n2 = 1 -> D2 = 5/7.
    const d2 = 5 / 7;
    // Unigram level: continuation counts a 2, b 2, c 1, E 2 (total 7) -> n1 = 1, n2 = 3 -> D1 = 1/7;
    // the removed mass 4·D1/7 is spread over the 5 ids that can follow (UNK, EOS, a, b, c).
    const d1 = 1 / 7;
    const floor = (4 * d1) / 7 / 5;
    const unigramC = (1 - d1) / 7 + floor;
    const unigramB = (2 - d1) / 7 + floor;

    // P(c | a b) = (2 - D3)/3 + γ(a b) P(c | b), γ(a b) = 2 D3 / 3
    // P(c | b)   = (2 - D2)/3 + γ(b) P(c),       γ(b)   = 2 D2 / 3
    const bigramC = (2 - d2) / 3 + ((2 * d2) / 3) * unigramC;
    const trigramC = (2 - d3) / 3 + ((2 * d3) / 3) * bigramC;
    expect(model.probability([A, B], C)).toBeCloseTo(trigramC, 12);
    expect(trigramC).toBeCloseTo(0.664529, 6);

    // The start context BOS BOS uses the bigram counts after BOS: B·a 3, B·b 1.
    // P(b | start) = (1 - D2)/4 + γ(BOS) P(b), γ(BOS) = 2 D2 / 4
    const startB = (1 - d2) / 4 + ((2 * d2) / 4) * unigramB;
    expect(model.probability([], B)).toBeCloseTo(startB, 12);
    expect(model.probability([BOS, BOS], B)).toBeCloseTo(startB, 12);
  });

  it('uses only the last two ids of a context and pads short contexts with the start token', () => {
    expect(model.probability([C, C, A, B], C)).toBe(model.probability([A, B], C));
    expect(model.probability([A], B)).toBe(model.probability([BOS, A], B));
  });

  it('agrees between single probabilities, full distributions and per-sentence distributions', () => {
    const sentence = [A, B, C];
    const distributions = model.sentenceDistributions(sentence);
    expect(distributions).toHaveLength(sentence.length + 1);
    [...sentence, EOS].forEach((target, position) => {
      const context = sentence.slice(0, position);
      expect(distributions[position]![target]).toBeCloseTo(model.probability(context, target), 14);
      expect(model.distribution(context)[target]).toBeCloseTo(model.probability(context, target), 14);
    });
  });

  it('treats the unknown token as an ordinary word', () => {
    const withUnknown = KneserNeyTrigram.train([[A, UNK], [A, UNK], [A, B]], SIZE);
    expect(withUnknown.topK([A], 1)[0]?.id).toBe(UNK);
    expect(withUnknown.probability([A, UNK], EOS)).toBeGreaterThan(0.5);
  });

  it('restores an identical model from its state, copied as between threads', () => {
    const restored = KneserNeyTrigram.fromState(structuredClone(model.toState()));
    for (const context of [[], [A, B], [C, A]]) {
      expect(restored.distribution(context)).toEqual(model.distribution(context));
    }
    expect(restored.discounts).toEqual(model.discounts);
  });

  it('rejects states whose arrays do not fit together, and invalid training ids', () => {
    const state = model.toState();
    const broken = (change: (copy: KneserNeyState) => void): KneserNeyState => {
      const copy = structuredClone(state);
      change(copy);
      return copy;
    };
    expect(() => KneserNeyTrigram.fromState(broken((copy) => (copy.vocabSize = 2)))).toThrow(RangeError);
    expect(() => KneserNeyTrigram.fromState(broken((copy) => (copy.unigramDistribution = new Float64Array(SIZE + 1))))).toThrow(RangeError);
    expect(() => KneserNeyTrigram.fromState(broken((copy) => (copy.unigramDiscounts = [0, 1, 1])))).toThrow(RangeError);
    expect(() => KneserNeyTrigram.fromState(broken((copy) => (copy.bigram.discounted = copy.bigram.discounted.subarray(1))))).toThrow(RangeError);
    expect(() => KneserNeyTrigram.fromState(broken((copy) => (copy.trigram.start = copy.trigram.start.subarray(1))))).toThrow(RangeError);
    expect(() => KneserNeyTrigram.fromState(broken((copy) => (copy.bigram.backoff = new Float64Array(0))))).toThrow(RangeError);
    expect(() => KneserNeyTrigram.train([[A, BOS]], SIZE)).toThrow(RangeError);
    expect(() => KneserNeyTrigram.train([[A, SIZE]], SIZE)).toThrow(RangeError);
    expect(() => model.probability([A], SIZE)).toThrow(RangeError);
  });

  it('predicts the uniform floor when trained on nothing', () => {
    const empty = KneserNeyTrigram.train([], SIZE);
    const distribution = empty.distribution([A]);
    for (const id of [UNK, EOS, A, B, C]) expect(distribution[id]).toBeCloseTo(1 / 5, 12);
  });
});

describe('estimateDiscounts', () => {
  it('estimates three discounts from counts of counts', () => {
    // n1 = 4, n2 = 2, n3 = 1, n4 = 1 -> Y = 4 / 8 = 0.5
    // D1 = 1 - 2·0.5·2/4 = 0.5, D2 = 2 - 3·0.5·1/2 = 1.25, D3+ = 3 - 4·0.5·1/1 = 1
    const counts = [1, 1, 1, 1, 2, 2, 3, 4, 9];
    expect(estimateDiscounts(counts, 'modified')).toEqual([0.5, 1.25, 1]);
    expect(estimateDiscounts(counts, 'standard')).toEqual([0.5, 0.5, 0.5]);
  });

  it('falls back when counts of counts are too sparse', () => {
    // No count of 4: one discount, Y = 3 / (3 + 2·1).
    expect(estimateDiscounts([1, 1, 1, 2, 3], 'modified')).toEqual([0.6, 0.6, 0.6]);
    expect(estimateDiscounts([1, 2, 2, 2, 3], 'modified')).toEqual([1 / 7, 1 / 7, 1 / 7]);
    // No singleton: no estimate at all.
    expect(estimateDiscounts([2, 3, 5], 'modified')).toEqual([FALLBACK_DISCOUNT, FALLBACK_DISCOUNT, FALLBACK_DISCOUNT]);
  });
});
