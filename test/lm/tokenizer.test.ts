import { afterEach, describe, expect, it, vi } from 'vitest';
import { SEGMENT_PIECE_LENGTH, dedupeKey, detokenize, tokenize } from '../../src/lm/tokenizer.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('tokenize', () => {
  it('segments Chinese typed with or without spaces into the same words', () => {
    expect(tokenize('我喜欢玩具').tokens).toEqual(['我', '喜欢', '玩具']);
    expect(tokenize('我 喜欢 玩具').tokens).toEqual(['我', '喜欢', '玩具']);
    expect(tokenize('我讨厌挨打').tokens).toEqual(tokenize('我 讨厌 挨打').tokens);
  });

  it('lower-cases Latin words and keeps punctuation as tokens', () => {
    const result = tokenize('The Cat sat, on THE mat!');
    expect(result.tokens).toEqual(['the', 'cat', 'sat', ',', 'on', 'the', 'mat', '!']);
    expect(result.wordCount).toBe(6);
  });

  it('drops every kind of Discord markup and links, and reports them', () => {
    const result = tokenize(
      'hi <@123456789012345678> <@!123456789012345678> <@&223456789012345678> <#323456789012345678> ' +
        '<:wave:423456789012345678> <a:dance:523456789012345678> </teach:623456789012345678> <t:1700000000:R> ' +
        'https://example.com/a?b=c www.example.org/x @everyone @here there',
    );
    expect(result.tokens).toEqual(['hi', 'there']);
    expect(result.removedMarkup.map((m) => m.kind)).toEqual([
      'user', 'user', 'role', 'channel', 'emoji', 'emoji', 'command', 'timestamp', 'url', 'url', 'everyone', 'everyone',
    ]);
    expect(result.tokens.join(' ')).not.toMatch(/[<>@]|http/);
  });

  it('removes zero-width, bidi and control characters that would glue or disguise words', () => {
    expect(tokenize('a\u200bb').tokens).toEqual(['ab']);
    expect(tokenize('left\u202eright\u0007 ok').tokens).toEqual(['leftright', 'ok']);
    expect(tokenize('line one\nline\ttwo').tokens).toEqual(['line', 'one', 'line', 'two']);
  });

  it('drops unpaired surrogates but keeps emoji as symbol tokens', () => {
    expect(tokenize('bad\ud800 text').tokens).toEqual(['bad', 'text']);
    const emoji = tokenize('nice 😀');
    expect(emoji.tokens).toEqual(['nice', '😀']);
    expect(emoji.wordCount).toBe(1);
  });

  it('removes links glued to a word character', () => {
    for (const glued of ['1https://example.com/a', '_https://example.com/a', 'xhttp://example.com', '9www.example.com/a']) {
      const result = tokenize(`see ${glued} now`);
      expect(result.removedMarkup.map((m) => m.kind), glued).toEqual(['url']);
      expect(result.tokens.join(' '), glued).not.toMatch(/http|www|example/);
    }
    // Letters before "www." make a word, not a link.
    expect(tokenize('awww.so cute').tokens).toEqual(['awww.so', 'cute']);
  });

  it('removes tag characters and blanks the letters that render as nothing', () => {
    expect(tokenize('fl\u{e0067}\u{e0062}ag').tokens).toEqual(['flag']);
    for (const blank of ['\u3164', '\u2800', '\u115f', '\u1160', '\uffa0']) {
      expect(tokenize(blank).tokens, `U+${blank.codePointAt(0)!.toString(16)}`).toEqual([]);
      expect(tokenize(`a${blank}b`).tokens).toEqual(['a', 'b']);
    }
  });

  it('hands Intl.Segmenter long texts in bounded pieces, with the tokens of the whole', () => {
    const segment = vi.spyOn(Intl.Segmenter.prototype, 'segment');
    const words = Array.from({ length: 3000 }, (_, index) => `word${index % 97}`);
    const chinese = '我喜欢玩具'.repeat(500);
    const result = tokenize(`${words.join(' ')} ${chinese}`);
    expect(segment.mock.calls.length).toBeGreaterThan(1);
    for (const [piece] of segment.mock.calls) expect(piece.length).toBeLessThanOrEqual(SEGMENT_PIECE_LENGTH);
    // Cut at spaces, the words come out exactly as they went in.
    expect(result.tokens.slice(0, words.length)).toEqual(words);
    expect(result.tokens.slice(words.length).join('')).toBe(chinese);
  });

  it('gives no tokens for text made only of markup and spaces', () => {
    const result = tokenize('  <@123456789012345678>  https://x.y/z  ');
    expect(result.tokens).toEqual([]);
    expect(result.cleanedText).toBe('');
  });
});

describe('dedupeKey', () => {
  it('treats sentences with the same tokens as the same sentence', () => {
    expect(dedupeKey(tokenize('我喜欢玩具').tokens)).toBe(dedupeKey(tokenize(' 我 喜欢  玩具 ').tokens));
    expect(dedupeKey(tokenize('Hello World').tokens)).toBe(dedupeKey(tokenize('hello world').tokens));
  });
});

describe('detokenize', () => {
  it('joins tokens with spaces only between words of spaced scripts', () => {
    expect(detokenize(['我', '喜欢', '猫', '。'])).toBe('我喜欢猫。');
    expect(detokenize(['hello', ',', 'world', '!'])).toBe('hello, world!');
    expect(detokenize(['i', 'like', '猫', '.'])).toBe('i like 猫.');
    expect(detokenize(['猫', 'is', 'cute', '。'])).toBe('猫 is cute。');
    expect(detokenize(['나는', '고양이를', '좋아해요'])).toBe('나는 고양이를 좋아해요');
  });
});
