import { describe, expect, it } from 'vitest';
import { SENTENCE_LIMITS, checkSentence } from '../../src/app/teach-policy.ts';

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
    // A Hangul filler renders as nothing: it is no word.
    expect(checkSentence('\u3164')).toEqual({ status: 'empty' });
    expect(checkSentence('\u3164 \u2800 !')).toEqual({ status: 'no_words' });
  });

  it('refuses text over the length and token limits', () => {
    expect(checkSentence('a'.repeat(SENTENCE_LIMITS.maxLength + 1))).toMatchObject({ status: 'too_long' });
    expect(checkSentence('a '.repeat(SENTENCE_LIMITS.maxTokens + 1))).toMatchObject({
      status: 'too_many_tokens',
      tokens: SENTENCE_LIMITS.maxTokens + 1,
    });
  });
});
