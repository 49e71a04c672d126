import { describe, expect, it } from 'vitest';
import { bar, barTable, codeBlock, displayWidth, inlineCode, joinTokens, progressBar, truncate, truncateToWidth } from '../../src/commands/render.ts';
import { formatDuration, formatRelativeTime, resolveLanguage } from '../../src/i18n/index.ts';

describe('render helpers', () => {
  it('counts CJK characters and emoji as two cells and combining marks as none', () => {
    expect(displayWidth('cat')).toBe(3);
    expect(displayWidth('猫咪')).toBe(4);
    expect(displayWidth('ｆｕｌｌ')).toBe(8);
    expect(displayWidth('😀')).toBe(2);
    expect(displayWidth('é')).toBe(1);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  it('cuts labels to a display width with an ellipsis', () => {
    expect(truncateToWidth('猫猫猫猫猫', 6)).toBe('猫猫…');
    expect(displayWidth(truncateToWidth('猫猫猫猫猫', 6))).toBeLessThanOrEqual(6);
    expect(truncateToWidth('short', 6)).toBe('short');
  });

  it('draws bars in eighths of a cell', () => {
    expect(bar(1, 4)).toBe('████');
    expect(bar(0.5, 4)).toBe('██');
    expect(bar(1 / 32, 4)).toBe('▏');
    expect(bar(0, 4)).toBe('');
  });

  it('aligns bar table columns whatever the labels’ scripts', () => {
    const table = barTable([
      { label: '猫', fraction: 0.5, value: '50.0%' },
      { label: 'dog', fraction: 0.25, value: '25.0%' },
      { label: '小鸟', fraction: 0.05, value: '5.0%' },
    ], { barWidth: 8 });
    const lines = table.split('\n');
    expect(lines.map((line) => displayWidth(line))).toEqual([displayWidth(lines[0] ?? ''), displayWidth(lines[0] ?? ''), displayWidth(lines[0] ?? '')]);
    expect(lines[0]).toBe(`猫${' '.repeat(4)}████${' '.repeat(6)}50.0%`);
    expect(lines[2]).toBe(`小鸟${' '.repeat(2)}▍${' '.repeat(10)}5.0%`);
  });

  it('draws a progress bar with its percentage', () => {
    expect(progressBar(0.5, 10)).toBe('█████░░░░░ 50%');
    expect(progressBar(2, 4)).toBe('████ 100%');
  });

  it('keeps code spans and blocks intact whatever the text contains', () => {
    expect(inlineCode('a | b')).toBe('`a | b`');
    expect(inlineCode('a ` b')).toBe('`` a ` b ``');
    expect(codeBlock('x ``` y')).not.toMatch(/x ```/);
  });

  it('joins tokens with spaces only between words of spaced scripts', () => {
    expect(joinTokens(['我', '喜欢', '猫', '。'])).toBe('我喜欢猫。');
    expect(joinTokens(['hello', ',', 'world', '!'])).toBe('hello, world!');
    expect(joinTokens(['i', 'like', '猫'])).toBe('i like猫');
  });

  it('truncates without splitting a surrogate pair', () => {
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});

describe('i18n', () => {
  it('maps Discord locales to a language, falling back to English', () => {
    expect(resolveLanguage('zh-CN')).toBe('zh-CN');
    expect(resolveLanguage('zh-TW')).toBe('zh-TW');
    expect(resolveLanguage('zh-HK')).toBe('zh-TW');
    expect(resolveLanguage('en-US')).toBe('en');
    expect(resolveLanguage('fr')).toBe('en');
  });

  it('formats durations and relative times in the member’s language', () => {
    expect(formatDuration(75, 'en-US')).toBe('1 min 15 s');
    expect(formatDuration(3720, 'zh-CN')).toBe('1小时2分');
    expect(formatRelativeTime(0, 5 * 60_000, 'en-US')).toBe('5 minutes ago');
    expect(formatRelativeTime(0, 5 * 60_000, 'zh-CN')).toBe('5分钟前');
    expect(formatRelativeTime(3 * 86_400_000, 0, 'zh-TW')).toBe('3 天後');
    expect(formatRelativeTime(0, 400 * 86_400_000, 'en')).toBe('last year');
  });
});
