/**
 * The texts of `/explain` for a member's locale (English, Simplified or Traditional Chinese).
 *
 * @module
 */
import { resolveLanguage, type Language } from '../../i18n/index.ts';
import { en, type ExplainMessages } from './en.ts';
import { zhCN } from './zh-CN.ts';
import { zhTW } from './zh-TW.ts';

export type { ExplainMessages } from './en.ts';

const MESSAGES: Record<Language, ExplainMessages> = { en, 'zh-CN': zhCN, 'zh-TW': zhTW };

/** The `/explain` texts for a Discord (or BCP 47) locale; English for every other language. */
export function explainMessages(locale: string): ExplainMessages {
  return MESSAGES[resolveLanguage(locale)];
}

/** The `/explain` texts in one language. */
export function explainMessagesIn(language: Language): ExplainMessages {
  return MESSAGES[language];
}
