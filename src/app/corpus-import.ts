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
 * Lines checked and inserted per transaction. A transaction holds the database's write lock: the
 * bot, writing through its own connection, waits on it synchronously and gives up after its busy
 * timeout. A thousand rows commit in a few tens of milliseconds, and checking the next thousand
 * lines leaves the lock free for about as long.
 */
export const IMPORT_CHUNK_LINES = 1000;

/**
 * Adds one sentence per line to a guild's corpus with the checks of `/teach` (but the larger
 * {@link IMPORT_LIMITS}): blank, invalid and duplicate lines (already known, or repeated in the
 * file) are skipped and counted by reason. Lines are checked and inserted {@link IMPORT_CHUNK_LINES}
 * at a time, each chunk in a transaction of its own, so that other connections (the bot's) can
 * write in between; an import stopped midway keeps the chunks it committed.
 */
export function importLines(
  store: Store,
  guildId: string,
  lines: readonly string[],
  origin: { authorId: string; source: SentenceSource },
): ImportReport {
  const report: ImportReport = { added: 0, skipped: {} };
  const skip = (reason: SkipReason, count = 1) => {
    if (count > 0) report.skipped[reason] = (report.skipped[reason] ?? 0) + count;
  };
  for (let start = 0; start < lines.length; start += IMPORT_CHUNK_LINES) {
    const inputs: SentenceInput[] = [];
    for (const line of lines.slice(start, start + IMPORT_CHUNK_LINES)) {
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
    report.added += added;
    skip('duplicate', duplicates);
  }
  return report;
}
