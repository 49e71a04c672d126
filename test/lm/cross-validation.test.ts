import { describe, expect, it } from 'vitest';
import { crossValidationFolds } from '../../src/lm/cross-validation.ts';
import { UNK } from '../../src/lm/special-tokens.ts';

describe('crossValidationFolds', () => {
  const sentences = [[4, 5], [4, 6], [5, 6, 7], [4, 5, 6], [6, 4], [5, 8]];

  it('holds every sentence out once, in fold i mod k, and trains on all the others', () => {
    const folds = crossValidationFolds(sentences, 3);
    expect(folds).toHaveLength(3);
    folds.forEach((fold, k) => {
      const heldOut = sentences.filter((_, i) => i % 3 === k);
      expect(fold.train).toEqual(sentences.filter((_, i) => i % 3 !== k));
      expect(fold.heldOut.map((sentence) => sentence.length)).toEqual(heldOut.map((sentence) => sentence.length));
    });
    expect(folds.reduce((sum, fold) => sum + fold.heldOut.length, 0)).toBe(sentences.length);
  });

  it("reads a held-out word its fold's training sentences lack as the unknown word", () => {
    // 7 occurs only in sentence 2 and 8 only in sentence 5, both held out in fold 2.
    const [, , third] = crossValidationFolds(sentences, 3);
    expect(third!.heldOut).toEqual([
      [5, 6, UNK],
      [5, UNK],
    ]);
  });

  it('refuses fewer than two folds or more folds than sentences', () => {
    expect(() => crossValidationFolds(sentences, 1)).toThrow(RangeError);
    expect(() => crossValidationFolds(sentences, 7)).toThrow(RangeError);
  });
});
