/**
 * Widths of text in monospace cells, for tables and bars shown in code blocks: CJK characters and
 * emoji take two cells, combining marks none, so `String.length` and `padEnd` misalign them.
 *
 * @module
 */

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Graphemes that monospace fonts draw two cells wide: CJK, Hangul, full-width forms, emoji from
 * the supplementary planes, and any symbol asking for emoji presentation (U+FE0F).
 */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\ufe0f\u{1f000}-\u{1faff}\u{20000}-\u{3fffd}]/u;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufe0f]+$/u;

/** Width of a text in monospace cells, counting CJK characters and emoji as two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(text)) {
    if (ZERO_WIDTH.test(segment)) continue;
    width += WIDE.test(segment) ? 2 : 1;
  }
  return width;
}

/** Cuts a text to at most `maxWidth` cells, ending it with `…` when cut. */
export function truncateToWidth(text: string, maxWidth: number): string {
  if (displayWidth(text) <= maxWidth) return text;
  let result = '';
  let width = 0;
  for (const { segment } of graphemes.segment(text)) {
    const next = displayWidth(segment);
    if (width + next > maxWidth - 1) break;
    result += segment;
    width += next;
  }
  return `${result}…`;
}

/** Pads a text with spaces to `width` cells (CJK-aware, unlike `String.padEnd`). */
export function padToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}
