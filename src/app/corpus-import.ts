import { dedupeKey } from '../lm/tokenizer.ts';
import type { SentenceInput, Store } from '../store/index.ts';
import type { SentenceSource } from './services.ts';
import { IMPORT_LIMITS, checkSentence } from './teach-policy.ts';

/** Why a line of an imported file was not added. */
export type SkipReason = 'blank' | 'duplicate' | 'empty' | 'no_words' | 'too_long' | 'too_many_tokens';

/** What {@link importLines} did. */
export interface ImportReport {
  added: number;
  skipped: Partial<Record<SkipReason, number>>;
}

/**
 * Adds one sentence per line to a guild's corpus, in one transaction, with the checks of `/teach`
 * (but the larger {@link IMPORT_LIMITS}): blank, invalid and duplicate lines (already known, or repeated in the file) are
 * skipped and counted by reason.
 */
export function importLines(
  store: Store,
  guildId: string,
  lines: readonly string[],
  origin: { authorId: string; source: SentenceSource },
): ImportReport {
  const skipped: Partial<Record<SkipReason, number>> = {};
  const skip = (reason: SkipReason) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  const inputs: SentenceInput[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      skip('blank');
      continue;
    }
    const checked = checkSentence(line, IMPORT_LIMITS);
    if (checked.status !== 'ok') {
      skip(checked.status);
      continue;
    }
    inputs.push({
      guildId,
      channelId: null,
      authorId: origin.authorId,
      text: checked.cleanedText,
      tokens: checked.tokens,
      dedupeKey: dedupeKey(checked.tokens),
      source: origin.source,
    });
  }
  const { added, duplicates } = store.addSentences(inputs);
  if (duplicates > 0) skipped.duplicate = duplicates;
  return { added, skipped };
}
