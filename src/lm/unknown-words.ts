/**
 * How the models learn the unknown word. A guild's vocabulary keeps every word of a small corpus,
 * so `UNK` never occurs in its training sentences, yet a fifth of the words of new text can be
 * words the corpus never had. Words seen once stand in for them (Good–Turing: the words seen once
 * are the best sample of the words not seen at all), and held-out sentences are scored the way
 * new text would be.
 *
 * @module
 */
import type { Random } from './random.ts';
import { FIRST_WORD_ID, UNK } from './special-tokens.ts';

/** Ids of the words that occur exactly once in `sentences` (`UNK` itself excluded), increasing. */
export function singletonIds(sentences: readonly (readonly number[])[]): number[] {
  const counts = new Map<number, number>();
  for (const sentence of sentences) for (const id of sentence) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts]
    .filter(([id, count]) => count === 1 && id >= FIRST_WORD_ID)
    .map(([id]) => id)
    .sort((a, b) => a - b);
}

/**
 * `heldOut` as new text would look to a model trained on `training`: every id `training` never
 * contains becomes `UNK`. The vocabulary is built from the whole corpus, validation sentences
 * included, so without this a word found only in validation would be scored as a known word the
 * model never saw, which no text after training can be.
 */
export function asUnseenText(heldOut: readonly (readonly number[])[], training: readonly (readonly number[])[]): number[][] {
  const seen = new Set<number>();
  for (const sentence of training) for (const id of sentence) seen.add(id);
  return heldOut.map((sentence) => sentence.map((id) => (seen.has(id) ? id : UNK)));
}

/**
 * A function giving each epoch's copy of the sentences with every occurrence of a stand-in
 * replaced by {@link UNK} with probability `rate`; undefined when nothing would be replaced.
 */
export function unknownWordReplacer(
  standIns: readonly number[],
  rate: number,
  vocabSize: number,
): ((sentences: readonly number[][], random: Random) => number[][]) | undefined {
  if (rate === 0 || standIns.length === 0) return undefined;
  const standsIn = new Uint8Array(vocabSize);
  for (const id of standIns) {
    if (!Number.isInteger(id) || id < FIRST_WORD_ID || id >= vocabSize) throw new RangeError(`id ${id} cannot stand in for the unknown word`);
    standsIn[id] = 1;
  }
  return (sentences, random) => sentences.map((sentence) => sentence.map((id) => (standsIn[id] === 1 && random.next() < rate ? UNK : id)));
}
