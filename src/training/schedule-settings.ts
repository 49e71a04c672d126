/**
 * The training schedule's settings (from the bot's configuration), their defaults and their
 * validation, and where a guild stands after failed runs under them.
 *
 * @module
 */

/** Scheduling settings (from the bot's configuration). */
export interface TrainingConfig {
  /** Minutes between two looks for guilds that need a retrain. */
  intervalMinutes: number;
  /** Sentences added or removed since the newest model before a scheduled retrain. */
  retrainMinChanges: number;
  /** Training jobs running at once (each takes one core). */
  concurrency: number;
  /** Wall-clock budget of an incremental retrain, in minutes. */
  budgetMinutes: number;
  /** Wall-clock budget of a full retrain, in minutes (the job's default when absent). */
  fullBudgetMinutes?: number;
  /**
   * Failed runs in a row after which a guild is no longer retrained by the schedule, nor its
   * interrupted run queued again, until a retrain is asked for ({@link DEFAULT_MAX_ATTEMPTS} when
   * absent). Between failures the schedule waits `intervalMinutes` × 2^(failures − 1).
   */
  maxAttempts?: number;
  /**
   * Hours a guild waits between two full retrains, whoever asked for them
   * ({@link DEFAULT_FULL_RETRAIN_MIN_INTERVAL_HOURS} when absent). Removals wait for the next one.
   */
  fullRetrainMinIntervalHours?: number;
}

/** See {@link TrainingConfig.fullRetrainMinIntervalHours}. */
export const DEFAULT_FULL_RETRAIN_MIN_INTERVAL_HOURS = 6;

/** See {@link TrainingConfig.maxAttempts}. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Where a guild stands after failed runs (see {@link TrainingConfig.maxAttempts}). */
export interface RetryState {
  /** Failed runs since the guild's last succeeded one. */
  failures: number;
  maxAttempts: number;
  /** When the schedule may try again; null once it has given up. */
  nextAttemptAt: number | null;
}

/** Throws a RangeError naming the first setting that is not a positive number (an integer where one is required). */
export function validateConfig(config: TrainingConfig): void {
  const positive = (name: keyof TrainingConfig, integer: boolean): void => {
    const value = config[name];
    if (value === undefined || !(value > 0) || (integer && !Number.isInteger(value))) {
      throw new RangeError(`training config ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
    }
  };
  positive('intervalMinutes', false);
  positive('retrainMinChanges', true);
  positive('concurrency', true);
  positive('budgetMinutes', false);
  if (config.fullBudgetMinutes !== undefined) positive('fullBudgetMinutes', false);
  if (config.maxAttempts !== undefined) positive('maxAttempts', true);
  if (config.fullRetrainMinIntervalHours !== undefined) positive('fullRetrainMinIntervalHours', false);
}
