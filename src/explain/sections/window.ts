/**
 * "Fixed window vs recurrence": the Kneser-Ney 3-gram, which reads the last two words only, beside
 * the LSTM, which reads the whole context.
 *
 * @module
 */
import { TRIGRAM_WINDOW, type FixedWindowComparison } from '../../lm/explain/fixed-window.ts';
import type { ExplainedInput } from '../../lm/explain/input.ts';
import { detokenize } from '../../lm/tokenizer.ts';
import { inlineCode } from '../../text/markdown.ts';
import { percent } from '../../text/percent.ts';
import { columns } from '../format.ts';
import type { ExplainMessages } from '../i18n/index.ts';
import { codeBlocks, type Section } from '../pages.ts';

/** The fixed-window section. */
export function windowSection(m: ExplainMessages, input: ExplainedInput, comparison: FixedWindowComparison): Section {
  const words = input.positions.filter((position) => !position.start).map((position) => position.token);
  const windowWords = inlineCode(detokenize(words.slice(-TRIGRAM_WINDOW)));
  const blocks = [m.window.intro(words.length, windowWords)];
  const rows = Array.from({ length: Math.max(comparison.lstm.length, comparison.trigram.length) }, (_, rank) => {
    const cell = (word: { word: string; probability: number } | undefined): string[] =>
      word === undefined ? ['', ''] : [word.word, percent(word.probability)];
    return [...cell(comparison.lstm[rank]), '│', ...cell(comparison.trigram[rank])];
  });
  blocks.push(...codeBlocks(columns([[m.window.lstmColumn(words.length), '', '│', m.window.trigramColumn, ''], ...rows], [1, 4])));

  const lstmTop = comparison.lstm[0];
  const trigramTop = comparison.trigram[0];
  const findings: string[] = [];
  if (lstmTop !== undefined && trigramTop !== undefined) {
    findings.push(
      lstmTop.word === trigramTop.word
        ? m.window.agree(inlineCode(lstmTop.word))
        : m.window.differ(inlineCode(lstmTop.word), percent(comparison.trigramOnLstmTop), inlineCode(trigramTop.word), percent(comparison.lstmOnTrigramTop)),
    );
  }
  if (comparison.wordsBeyondWindow > 0) {
    const alone = comparison.lstmWindowOnly[0];
    if (alone !== undefined) findings.push(m.window.lstmWindowOnly(windowWords, inlineCode(alone.word), percent(alone.probability)));
    findings.push(m.window.shift(comparison.wordsBeyondWindow, percent(comparison.shiftFromEarlierWords)));
  } else {
    findings.push(m.window.sameWords);
  }
  findings.push(m.window.disagreement(percent(comparison.disagreement)));
  findings.push(m.window.lesson);
  blocks.push(findings.join('\n'));
  return { title: m.titles.window, blocks };
}
