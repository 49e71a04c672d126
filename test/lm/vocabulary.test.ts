import { describe, expect, it } from 'vitest';
import { BOS, EOS, PAD, UNK } from '../../src/lm/special-tokens.ts';
import { Vocabulary } from '../../src/lm/vocabulary.ts';

const corpus = [
  ['the', 'cat', 'sat'],
  ['the', 'dog', 'sat'],
  ['the', 'bird', 'flew'],
];

describe('Vocabulary', () => {
  it('reserves distinct ids for padding, unknown, start and end', () => {
    const vocabulary = Vocabulary.build(corpus, { minCount: 1, maxSize: 100 });
    expect(new Set([PAD, UNK, BOS, EOS]).size).toBe(4);
    expect(vocabulary.isSpecial(PAD) && vocabulary.isSpecial(UNK)).toBe(true);
    expect(vocabulary.idOf('the')).toBeGreaterThanOrEqual(Vocabulary.specialCount);
  });

  it('orders words by frequency and applies the minimum count and maximum size', () => {
    const all = Vocabulary.build(corpus, { minCount: 1, maxSize: 100 });
    expect(all.tokenOf(Vocabulary.specialCount)).toBe('the');
    expect(all.size).toBe(Vocabulary.specialCount + 6);
    const frequent = Vocabulary.build(corpus, { minCount: 2, maxSize: 100 });
    expect(frequent.has('sat') && frequent.has('the')).toBe(true);
    expect(frequent.has('cat')).toBe(false);
    const small = Vocabulary.build(corpus, { minCount: 1, maxSize: Vocabulary.specialCount + 1 });
    expect(small.size).toBe(Vocabulary.specialCount + 1);
  });

  it('reports unknown words instead of merging them with padding', () => {
    const vocabulary = Vocabulary.build(corpus, { minCount: 1, maxSize: 100 });
    const encoded = vocabulary.encode(['the', 'zebra', 'sat', 'zebra', 'ran']);
    expect(encoded.ids).toEqual([vocabulary.idOf('the'), UNK, vocabulary.idOf('sat'), UNK, UNK]);
    expect(encoded.ids).not.toContain(PAD);
    expect(encoded.unknown).toEqual(['zebra', 'ran']);
  });

  it('survives a JSON round trip with its counts', () => {
    const vocabulary = Vocabulary.build(corpus, { minCount: 1, maxSize: 100 });
    const restored = Vocabulary.fromJSON(JSON.parse(JSON.stringify(vocabulary)));
    expect(restored.size).toBe(vocabulary.size);
    expect(restored.idOf('bird')).toBe(vocabulary.idOf('bird'));
    expect(restored.countOf('the')).toBe(3);
  });

  it('rejects a malformed stored vocabulary', () => {
    expect(() => Vocabulary.fromJSON({ tokens: ['a'], counts: [1] })).toThrow(/malformed/);
    expect(() => Vocabulary.fromJSON(null)).toThrow(/malformed/);
  });
});
