/**
 * Number and table formatting for explanation pages (plain text shown in Discord code blocks).
 *
 * @module
 */
import type { ContextPosition } from '../lm/explain/input.ts';
import { displayWidth, padToWidth, truncateToWidth } from '../text/width.ts';

/** A gradient-sized number: `3.1e-4`, `2.0e3`, `0` for zero. */
export function scientific(value: number): string {
  return value === 0 ? '0' : value.toExponential(1).replace('e+', 'e');
}

/** A change of probability in percentage points: `12.5`, `<0.1`. */
export function points(change: number): string {
  const value = Math.abs(change) * 100;
  return value > 0 && value < 0.05 ? '<0.1' : value.toFixed(1);
}

/** Milliseconds with two significant decimals below 10 ms. */
export function milliseconds(value: number): string {
  return value < 1 ? value.toFixed(2) : value < 10 ? value.toFixed(1) : value.toFixed(0);
}

/** A ratio such as `12`, `1,890` or `3.4` (the texts say "times" in their own words). */
export function factor(value: number): string {
  return value >= 10 ? Math.round(value).toLocaleString('en') : value.toFixed(1);
}

/** Widest label in tables, in monospace cells; longer words are cut with `…`. */
const LABEL_WIDTH = 14;

/**
 * The label of a context position in tables: its word number (the first word read is 1) and the
 * word, or the start marker alone.
 */
export function positionLabel(position: ContextPosition, number: number): string {
  return truncateToWidth(position.start ? position.token : `${number} ${position.token}`, LABEL_WIDTH);
}

/** Word numbers of context positions: the start marker has none, the words count from 1. */
export function wordNumbers(positions: readonly ContextPosition[]): number[] {
  let number = 0;
  return positions.map((position) => (position.start ? 0 : ++number));
}

/** Aligns rows of cells into columns separated by two spaces (CJK-aware), trailing spaces trimmed. */
export function columns(rows: readonly (readonly string[])[], alignRight: readonly number[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, displayWidth(cell))));
  return rows.map((row) =>
    row
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        return alignRight.includes(index) ? ' '.repeat(width - displayWidth(cell)) + cell : padToWidth(cell, width);
      })
      .join('  ')
      .trimEnd(),
  );
}
