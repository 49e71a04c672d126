import { describe, expect, it } from 'vitest';
import { Vocabulary } from '../../src/lm/vocabulary.ts';
import { corpusChanges, extendVocabulary, incrementalSelection, splitForValidation } from '../../src/training/data.ts';

const numbered = (from: number, to: number): string[][] => {
  const sentences: string[][] = [];
  for (let i = from; i < to; i++) sentences.push(['sentence', 'number', String(i)]);
  return sentences;
};

describe('validation split', () => {
  it('keeps every sentence on the same side when the corpus grows', () => {
    const small = splitForValidation(numbered(0, 500), 0.1);
    const grown = splitForValidation(numbered(0, 1000), 0.1);
    const key = (sentence: string[]): string => sentence.join(' ');
    const grownValidation = new Set(grown.validation.map(key));
    expect(small.validation.length).toBeGreaterThan(0);
    for (const sentence of small.validation) expect(grownValidation.has(key(sentence))).toBe(true);
    for (const sentence of small.train) expect(grownValidation.has(key(sentence))).toBe(false);
  });

  it('holds out about the requested share and nothing with a zero share', () => {
    const corpus = numbered(0, 2000);
    const { train, validation } = splitForValidation(corpus, 0.1);
    expect(train.length + validation.length).toBe(2000);
    expect(validation.length).toBeGreaterThan(150);
    expect(validation.length).toBeLessThan(250);
    expect(splitForValidation(corpus, 0).validation).toEqual([]);
  });
});

describe('extendVocabulary', () => {
  const base = Vocabulary.build([['我', '喜欢', '猫'], ['我', '喜欢', '狗']], { minCount: 1, maxSize: 100 });

  it('keeps the id of every known word and appends new words, most frequent first', () => {
    const corpus = [['我', '喜欢', '猫'], ['我', '讨厌', '雨'], ['你', '讨厌', '雨'], ['他', '讨厌', '雨']];
    const extended = extendVocabulary(base, corpus, { minCount: 1, maxSize: 100 });
    for (const token of ['我', '喜欢', '猫', '狗']) expect(extended.idOf(token)).toBe(base.idOf(token));
    const appended = [...Array(extended.size - base.size).keys()].map((i) => extended.tokenOf(base.size + i));
    expect(appended.slice(0, 2).sort()).toEqual(['讨厌', '雨'].sort());
    expect(appended.slice(2).sort()).toEqual(['他', '你'].sort());
    expect(extended.countOf('雨')).toBe(3);
    // A word gone from the corpus keeps its id (the model has a row for it) with count 0.
    expect(extended.countOf('狗')).toBe(0);
  });

  it('adds no word below the minimum count and never grows beyond the maximum size', () => {
    const corpus = [['雨', '雨', '雪']];
    expect(extendVocabulary(base, corpus, { minCount: 2, maxSize: 100 }).has('雪')).toBe(false);
    const capped = extendVocabulary(base, [['a', 'b', 'c', 'd']], { minCount: 1, maxSize: base.size + 2 });
    expect(capped.size).toBe(base.size + 2);
  });
});

describe('corpusChanges', () => {
  it('tells additions from removals using the revision and the sentence count', () => {
    const model = { corpusRevision: 10, corpusSentences: 10 };
    expect(corpusChanges(model, { revision: 15, sentences: 15 })).toEqual({ added: 5, removed: 0 });
    expect(corpusChanges(model, { revision: 16, sentences: 12 })).toEqual({ added: 4, removed: 2 });
    expect(corpusChanges(model, { revision: 13, sentences: 7 })).toEqual({ added: 0, removed: 3 });
  });
});

describe('incrementalSelection', () => {
  it('keeps every new sentence and a seeded sample of the old ones', () => {
    const fresh = numbered(100, 105);
    const old = numbered(0, 100);
    const selected = incrementalSelection(fresh, old, { oldSample: 20, seed: 7 });
    expect(selected).toHaveLength(25);
    expect(selected.slice(0, 5)).toEqual(fresh);
    expect(new Set(selected.slice(5).map((s) => s.join(' '))).size).toBe(20);
    expect(incrementalSelection(fresh, old, { oldSample: 20, seed: 7 })).toEqual(selected);
    expect(incrementalSelection(fresh, old, { oldSample: 20, seed: 8 })).not.toEqual(selected);
    expect(incrementalSelection(fresh, old.slice(0, 3), { oldSample: 20, seed: 7 })).toHaveLength(8);
  });
});
