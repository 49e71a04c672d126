/**
 * What each part of scenario `abuse` reports: its figures, its summary, and the targets it missed.
 *
 * @module
 */

/** The report of one part. */
export interface PartReport {
  result: Record<string, unknown>;
  text: string;
  /** One line per target missed; empty when every target was met. */
  missed: string[];
}
