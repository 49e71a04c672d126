/**
 * Formatting of figures for human-readable summaries.
 *
 * @module
 */

/** A Markdown table; cells are printed as given. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A share as a percentage with one decimal, e.g. `12.3%`. */
export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** A number with thousands separators and no decimals, e.g. `5,912`. */
export function whole(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Rounds for JSON output: enough digits to compare runs, no float noise. */
export function round(value: number, digits = 3): number {
  return Number(value.toFixed(digits));
}
