/**
 * Unknown and rare words: which words of an input the model has no vector for or saw only a few
 * times, and what its prediction becomes without them.
 *
 * @module
 */
import type { LstmLanguageModel } from '../model.ts';
import { contextWindow, topWords, type PredictedWord } from '../predict.ts';
import type { Vocabulary } from '../vocabulary.ts';

/** A word of the input that the model knows poorly or not at all. */
export interface WeakWord {
  token: string;
  /** Index in the input tokens (first occurrence). */
  index: number;
  /** Occurrences in the corpus the vocabulary was built from (0 when unknown). */
  count: number;
  /** `unknown`: read as the unknown token; `rare`: has its own vector, learned from few examples. */
  kind: 'unknown' | 'rare';
}

/** The result of {@link rareAndUnknownWords}. */
export interface RareAndUnknownWords {
  words: WeakWord[];
  /** Top predictions for the whole input (empty when every token is unknown). */
  withThem: PredictedWord[];
  /** Top predictions with the listed words removed; `null` when there is none to remove or nothing would be left. */
  withoutThem: PredictedWord[] | null;
}

/** Options of {@link rareAndUnknownWords}. */
export interface RareWordOptions {
  /** A known word seen fewer times than this counts as rare. */
  rareBelow: number;
  /** Predictions listed on each side. */
  count: number;
}

/** Finds the unknown and rare words of `tokens` and compares predictions with and without them. */
export function rareAndUnknownWords(
  model: LstmLanguageModel,
  vocabulary: Vocabulary,
  tokens: readonly string[],
  { rareBelow, count }: RareWordOptions,
): RareAndUnknownWords {
  const words: WeakWord[] = [];
  tokens.forEach((token, index) => {
    if (words.some((word) => word.token === token)) return;
    const known = vocabulary.has(token);
    const occurrences = vocabulary.countOf(token);
    if (!known) words.push({ token, index, count: 0, kind: 'unknown' });
    else if (occurrences < rareBelow) words.push({ token, index, count: occurrences, kind: 'rare' });
  });
  const weak = new Set(words.map((word) => word.token));
  const predict = (input: readonly string[]): PredictedWord[] => {
    const { ids } = vocabulary.encode(input);
    const { context } = contextWindow(ids, model.hyperparameters.contextLength);
    return topWords(vocabulary, model.nextDistribution(context), count);
  };
  const remaining = tokens.filter((token) => !weak.has(token));
  return {
    words,
    withThem: tokens.some((token) => vocabulary.has(token)) ? predict(tokens) : [],
    withoutThem: remaining.length > 0 && words.length > 0 ? predict(remaining) : null,
  };
}
