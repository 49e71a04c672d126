/**
 * Text rendering shared by the commands: monospace tables with bars, progress bars, code spans.
 * Everything here is plain text, so Discord and the console show the same thing.
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

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of `fraction` (0..1) of `width` cells, in eighth-of-a-cell steps. */
export function bar(fraction: number, width: number): string {
  const eighths = Math.round(Math.min(1, Math.max(0, fraction)) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + (EIGHTHS[eighths % 8] ?? '');
}

/** A bar with its empty part drawn and the percentage after it: `█████░░░░░ 50%`. */
export function progressBar(fraction: number, width = 20): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${Math.floor(clamped * 100)}%`;
}

/** Formats a probability as a percentage with one decimal (`42.1%`, `<0.1%`). */
export function percent(probability: number): string {
  if (probability > 0 && probability < 0.0005) return '<0.1%';
  return `${(probability * 100).toFixed(1)}%`;
}

/** One row of {@link barTable}. */
export interface BarRow {
  label: string;
  /** 0..1, the bar's length as a share of the full width. */
  fraction: number;
  /** The figure printed after the bar. */
  value: string;
}

/**
 * Renders rows as aligned `label  bar  value` lines (to be shown in a code block).
 *
 * @param options.labelWidth - labels wider than this are cut with `…`.
 */
export function barTable(rows: readonly BarRow[], options: { barWidth?: number; labelWidth?: number } = {}): string {
  const barWidth = options.barWidth ?? 20;
  const labels = rows.map((row) => truncateToWidth(row.label, options.labelWidth ?? 16));
  const labelColumn = Math.max(0, ...labels.map(displayWidth));
  const valueColumn = Math.max(0, ...rows.map((row) => row.value.length));
  return rows
    .map((row, index) => {
      const label = padToWidth(labels[index] ?? '', labelColumn);
      const drawn = padToWidth(bar(row.fraction, barWidth), barWidth);
      return `${label}  ${drawn}  ${row.value.padStart(valueColumn)}`;
    })
    .join('\n');
}

/** Wraps text in a code block, defusing any triple backtick inside it. */
export function codeBlock(text: string): string {
  return `\`\`\`\n${text.replace(/```/g, '`\u200b`\u200b`')}\n\`\`\``;
}

/** Wraps text in an inline code span, using a double-backtick span when it contains a backtick. */
export function inlineCode(text: string): string {
  if (!text.includes('`')) return `\`${text}\``;
  return `\`\` ${text.replace(/``+/g, (run) => run.split('').join('\u200b'))} \`\``;
}

/** Shows tokens the way the model splits them: `我 | 喜欢 | 猫`. */
export function formatTokens(tokens: readonly string[]): string {
  return inlineCode(tokens.join(' | '));
}

/** Shows a list of words as code spans separated by commas. */
export function formatWordList(words: readonly string[]): string {
  return words.map(inlineCode).join(', ');
}

/** Cuts a text to at most `max` UTF-16 units (Discord's limits count those), ending with `…`. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  // Never split a surrogate pair: a lone half would be shown as a replacement character.
  if (/[\ud800-\udbff]/.test(text[cut - 1] ?? '')) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

const CJK = /[\u2e80-\u9fff\uac00-\ud7a3\uf900-\ufaff\uff00-\uffef]/u;
const CLOSING_PUNCTUATION = /^[,.;:!?)\]}%…]+$/u;

/**
 * Joins tokens back into readable text: words of spaced scripts are separated by spaces, CJK
 * characters and closing punctuation are not (`我喜欢猫。`, `hello, world!`).
 */
export function joinTokens(tokens: readonly string[]): string {
  let text = '';
  let previous = '';
  for (const token of tokens) {
    const glued =
      previous === '' || CLOSING_PUNCTUATION.test(token) || CJK.test(previous.slice(-1)) || CJK.test(token.charAt(0));
    text += glued ? token : ` ${token}`;
    previous = token;
  }
  return text;
}
