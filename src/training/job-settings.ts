/**
 * Settings shared by every run of a training service. Plain data: they are sent to the worker.
 *
 * @module
 */

/** How runs are trained and kept. */
export interface JobSettings {
  /** Wall-clock budget of an incremental run, in minutes. */
  budgetMinutes: number;
  /** Overrides applied on top of the corpus-scaled hyperparameter defaults (tests, benchmarks). */
  hyperparameters?: Readonly<Record<string, number>>;
  /** Model versions kept per guild (the store's default when absent). */
  keepVersions?: number;
}
