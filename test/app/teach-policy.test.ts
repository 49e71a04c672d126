import { describe, expect, it } from 'vitest';
import { Cooldown, SENTENCE_LIMITS, checkSentence } from '../../src/app/teach-policy.ts';

describe('checkSentence', () => {
  it('accepts a sentence and returns the tokens the model will see', () => {
    expect(checkSentence('我喜欢猫')).toMatchObject({ status: 'ok', tokens: ['我', '喜欢', '猫'], removedMarkup: 0 });
  });

  it('strips markup but keeps the words around it', () => {
    expect(checkSentence('<@123456789012345678> likes https://x.y/z cats')).toMatchObject({
      status: 'ok',
      tokens: ['likes', 'cats'],
      removedMarkup: 2,
    });
  });

  it('refuses empty text, markup-only text and punctuation-only text with distinct reasons', () => {
    expect(checkSentence('   \u200b ')).toEqual({ status: 'empty' });
    expect(checkSentence('@everyone https://example.com')).toEqual({ status: 'no_words' });
    expect(checkSentence('?!。，…')).toEqual({ status: 'no_words' });
    expect(checkSentence('😀😀')).toEqual({ status: 'no_words' });
  });

  it('refuses text over the length and token limits', () => {
    expect(checkSentence('a'.repeat(SENTENCE_LIMITS.maxLength + 1))).toMatchObject({ status: 'too_long' });
    expect(checkSentence('a '.repeat(SENTENCE_LIMITS.maxTokens + 1))).toMatchObject({
      status: 'too_many_tokens',
      tokens: SENTENCE_LIMITS.maxTokens + 1,
    });
  });
});

describe('Cooldown', () => {
  it('allows a burst up to the limit per window, then says when to retry', () => {
    let now = 1_000;
    const cooldown = new Cooldown(2, 60_000, () => now);
    expect(cooldown.take('g:u').allowed).toBe(true);
    now += 10_000;
    expect(cooldown.take('g:u').allowed).toBe(true);
    expect(cooldown.take('g:u')).toEqual({ allowed: false, retryAfterMs: 50_000 });
    expect(cooldown.take('g:other').allowed).toBe(true);
    now += 50_000;
    expect(cooldown.take('g:u').allowed).toBe(true);
  });

  it('gives back a refunded use', () => {
    const cooldown = new Cooldown(1, 60_000, () => 0);
    cooldown.take('k');
    cooldown.refund('k');
    expect(cooldown.take('k').allowed).toBe(true);
  });
});
