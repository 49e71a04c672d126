/**
 * Bars drawn with block characters: bar tables (a label, a bar and a figure per row) and progress
 * bars, plain text that Discord and the console show alike.
 *
 * @module
 */
import { displayWidth, padToWidth, truncateToWidth } from './width.ts';

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
