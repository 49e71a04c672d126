import { describe, expect, it } from 'vitest';
import { formatDuration, formatRelativeTime, resolveLanguage } from '../../src/i18n/index.ts';

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
