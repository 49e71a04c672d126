import { tokenize } from '../lm/tokenizer.ts';
import type { TeachRefusal } from './services.ts';

/** Size limits on a sentence. */
export interface SentenceLimits {
  /** Characters (code points) of the text as typed, markup included. */
  maxLength: number;
  /** Tokens after cleaning. */
  maxTokens: number;
}

/** Limits on a sentence taught by a member. */
export const SENTENCE_LIMITS: SentenceLimits = { maxLength: 300, maxTokens: 64 };

/** Limits on a line of a corpus file imported by an operator: real prose has long sentences. */
export const IMPORT_LIMITS: SentenceLimits = { maxLength: 5_000, maxTokens: 1_000 };

/** A sentence that passed {@link checkSentence}. */
export interface AcceptedSentence {
  status: 'ok';
  tokens: string[];
  cleanedText: string;
  removedMarkup: number;
}

/**
 * Checks a sentence a member wants to teach: not empty after cleaning, not too long, not made only
 * of punctuation, symbols, markup or links. Duplicates are checked where the data is.
 */
export function checkSentence(
  text: string,
  limits: SentenceLimits = SENTENCE_LIMITS,
): AcceptedSentence | Exclude<TeachRefusal, { status: 'duplicate' }> {
  const length = [...text].length;
  if (length > limits.maxLength) return { status: 'too_long', length, maxLength: limits.maxLength };
  const { tokens, wordCount, cleanedText, removedMarkup } = tokenize(text);
  if (tokens.length === 0) return removedMarkup.length > 0 ? { status: 'no_words' } : { status: 'empty' };
  if (wordCount === 0) return { status: 'no_words' };
  if (tokens.length > limits.maxTokens) {
    return { status: 'too_many_tokens', tokens: tokens.length, maxTokens: limits.maxTokens };
  }
  return { status: 'ok', tokens, cleanedText, removedMarkup: removedMarkup.length };
}
