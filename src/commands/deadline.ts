/**
 * Time limits for answers Discord only accepts within a few seconds.
 *
 * @module
 */

/**
 * Autocomplete must be answered within 3 s of the keystroke; past this budget the suggestions are
 * given up (an empty list beats an error in the member's client).
 */
export const AUTOCOMPLETE_BUDGET_MS = 2000;

/** Resolves with `work`'s value, or with `fallback` when `work` takes longer than `ms`. */
export async function withDeadline<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
