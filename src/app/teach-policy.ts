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
 * of punctuation, symbols, markup or links. Duplicates and cooldowns are checked where the data is.
 */
export function checkSentence(
  text: string,
  limits: SentenceLimits = SENTENCE_LIMITS,
): AcceptedSentence | Exclude<TeachRefusal, { status: 'duplicate' | 'cooldown' }> {
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

/**
 * A sliding-window rate limit per key (a member in a server), as in the discord.js guide's
 * cooldowns, but allowing a burst of `limit` uses per window instead of one.
 */
export class Cooldown {
  private readonly uses = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a use if allowed; otherwise says how long until the next one is. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const now = this.now();
    const recent = (this.uses.get(key) ?? []).filter((time) => now - time < this.windowMs);
    if (recent.length >= this.limit) {
      this.uses.set(key, recent);
      return { allowed: false, retryAfterMs: recent[0]! + this.windowMs - now };
    }
    recent.push(now);
    this.uses.set(key, recent);
    return { allowed: true };
  }

  /** Gives back the last use of a key, for a use that turned out not to count (a refused sentence). */
  refund(key: string): void {
    this.uses.get(key)?.pop();
  }
}
