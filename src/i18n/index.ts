/**
 * Localised texts (English, Simplified and Traditional Chinese) chosen by the member's Discord
 * locale, with English as the fallback.
 *
 * @module
 */
import { en } from './en.ts';
import type { Messages } from './en.ts';
import { zhCN } from './zh-CN.ts';
import { zhTW } from './zh-TW.ts';

export type { Messages } from './en.ts';

/** The languages the bot speaks. */
export type Language = 'en' | 'zh-CN' | 'zh-TW';

const MESSAGES: Record<Language, Messages> = { en, 'zh-CN': zhCN, 'zh-TW': zhTW };

/**
 * Maps a Discord (or BCP 47) locale to a supported language: Traditional Chinese for Taiwan, Hong
 * Kong, Macau and the `Hant` script, Simplified for the other Chinese locales, English otherwise.
 */
export function resolveLanguage(locale: string): Language {
  const tag = locale.toLowerCase();
  if (tag !== 'zh' && !tag.startsWith('zh-')) return 'en';
  return /^zh-(tw|hk|mo|hant)\b/.test(tag) ? 'zh-TW' : 'zh-CN';
}

/** The messages for a locale. */
export function messagesFor(locale: string): Messages {
  return MESSAGES[resolveLanguage(locale)];
}

/** The Chinese translations of one text, in the shape `setDescriptionLocalizations` takes. */
export function localizations(pick: (messages: Messages) => string): { 'zh-CN': string; 'zh-TW': string } {
  return { 'zh-CN': pick(zhCN), 'zh-TW': pick(zhTW) };
}

/** Formats a number of seconds as a short duration (`1 min 5 s`, `1分5秒`). */
export function formatDuration(totalSeconds: number, locale: string): string {
  return durationIn(messagesFor(locale), totalSeconds);
}

/** {@link formatDuration} with the messages of the member's language at hand. */
export function durationIn({ time }: Messages, totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  if (seconds < 60) return time.seconds(seconds);
  if (seconds < 3600) return time.minutes(Math.floor(seconds / 60), seconds % 60);
  return time.hours(Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60));
}

/** Formats a moment relative to `now` (`5 minutes ago`, `in 3 minutes`, `5分钟前`). */
export function formatRelativeTime(timestamp: number, now: number, locale: string): string {
  const format = new Intl.RelativeTimeFormat(resolveLanguage(locale), { numeric: 'auto' });
  const seconds = Math.round((timestamp - now) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 365 * 86_400],
    ['month', 30 * 86_400],
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return format.format(seconds, 'second');
}
