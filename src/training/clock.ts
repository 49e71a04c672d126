/**
 * Time as the training scheduler sees it: injectable so that scheduling decisions can be tested
 * with a fake clock instead of waiting for real minutes to pass.
 *
 * @module
 */

/** An opaque timer returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** The current time and one-shot timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `delayMs`. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock. Its timers do not keep the process alive on their own (e.g. a CLI run). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
