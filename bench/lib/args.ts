/**
 * Conversions of option strings, failing with a {@link UsageError} that names the option.
 *
 * @module
 */
import type { CorpusSize } from './corpus.ts';
import { UsageError } from './scenario.ts';

/** An integer option of at least `min`; `fallback` when the option is absent. */
export function integerOption(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${value}'`);
  return number;
}

/** A positive number option; `fallback` when the option is absent. */
export function positiveNumberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!(Number.isFinite(number) && number > 0)) throw new UsageError(`--${name} must be a positive number, got '${value}'`);
  return number;
}

/** One of a fixed set of words; undefined when the option is absent. */
export function choiceOption<T extends string>(value: string | undefined, name: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}

/**
 * A comma-separated list of corpus sizes, each a whole number of at least `min` or `all`, e.g.
 * `300,1000,all`; `fallback` when the option is absent.
 */
export function sizesOption(value: string | undefined, name: string, fallback: CorpusSize[], min = 10): CorpusSize[] {
  if (value === undefined) return fallback;
  const sizes = value.split(',').map((item): CorpusSize => {
    const trimmed = item.trim();
    if (trimmed === 'all') return 'all';
    const number = Number(trimmed);
    if (trimmed === '' || !Number.isInteger(number) || number < min) {
      throw new UsageError(`--${name} takes sizes of at least ${min} or 'all', separated by commas, got '${value}'`);
    }
    return number;
  });
  return [...new Set(sizes)];
}
