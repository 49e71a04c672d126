import { Random } from '../../src/lm/random.ts';

/** Ids the counting sentences use: 4..19, after the special tokens. */
export const COUNTING_VOCABULARY = 20;

/**
 * Sentences that count in steps of two over ids 4..19 from a seeded random start ("5 7 9 11",
 * "8 10 12"…), 3 to 7 ids long: a pattern a small network learns in seconds, for training tests
 * that need no words.
 */
export function countingSentences(count: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => {
    const start = random.int(16);
    return Array.from({ length: 3 + random.int(5) }, (_, k) => 4 + ((start + 2 * k) % 16));
  });
}
