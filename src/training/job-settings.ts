/**
 * Settings shared by every run of a training service. Plain data: they are sent to the worker.
 *
 * @module
 */
import type { Hyperparameters } from '../lm/hyperparameters.ts';
import type { VocabularyOptions } from '../lm/vocabulary.ts';

/** How runs are trained and kept. */
export interface JobSettings {
  /** Wall-clock budget of an incremental run, in minutes. */
  budgetMinutes: number;
  /** Wall-clock budget of a full run, in minutes ({@link DEFAULT_FULL_BUDGET_MINUTES} when absent). */
  fullBudgetMinutes?: number;
  /** Overrides applied on top of the corpus-scaled hyperparameter defaults (tests, benchmarks). */
  hyperparameters?: Partial<Hyperparameters>;
  /** Overrides of {@link DEFAULT_VOCABULARY}. */
  vocabulary?: Partial<VocabularyOptions>;
  /** Model versions kept per guild (the store's default when absent). */
  keepVersions?: number;
}

/**
 * A full retrain stops starting epochs when the next would end past this budget: the corpus-scaled
 * defaults plan 24 to 27 minutes for a large corpus on the 2-core reference machine, and a slower
 * or busier machine still gets its model within the half hour.
 */
export const DEFAULT_FULL_BUDGET_MINUTES = 30;

/**
 * Every word seen at least once, up to 5,000 entries (the most frequent words win): a guild's
 * members expect the words they taught to be predictable, and 5,000 is the size the model's
 * speed and quality were measured at.
 */
export const DEFAULT_VOCABULARY: VocabularyOptions = { minCount: 1, maxSize: 5000 };
