/**
 * How a training run chooses its data: the validation split, the vocabulary of a warm-started
 * model, and the sentences an incremental run trains on.
 *
 * @module
 */
import { Random } from '../lm/random.ts';
import { Vocabulary, type VocabularyOptions } from '../lm/vocabulary.ts';

/** Sentences as token arrays, split into training and validation. */
export interface SplitCorpus {
  train: string[][];
  validation: string[][];
}

/** FNV-1a over the UTF-16 code units of a string. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * Splits sentences into training and validation by a hash of their tokens, not by position or a
 * random draw: a sentence stays on the same side in every run as the corpus grows, so a serving
 * model was never trained on the sentences a newer model is compared with it on.
 */
export function splitForValidation(sentences: readonly string[][], fraction: number): SplitCorpus {
  const split: SplitCorpus = { train: [], validation: [] };
  const threshold = fraction * 2 ** 32;
  for (const sentence of sentences) {
    (hash32(sentence.join(' ')) < threshold ? split.validation : split.train).push(sentence);
  }
  return split;
}

/**
 * The vocabulary of a warm-started model: every id of `base` keeps its token (the model's rows
 * for it stay meaningful), and the corpus words `base` lacks are appended, most frequent first,
 * while `maxSize` allows. Counts are those of the current corpus.
 */
export function extendVocabulary(
  base: Vocabulary,
  sentences: readonly string[][],
  options: VocabularyOptions,
): Vocabulary {
  const frequency = new Map<string, number>();
  for (const sentence of sentences) {
    for (const token of sentence) frequency.set(token, (frequency.get(token) ?? 0) + 1);
  }
  const { tokens } = base.toJSON();
  const counts = tokens.map((token, id) => (base.isSpecial(id) ? 0 : (frequency.get(token) ?? 0)));
  // Vocabulary.build orders by frequency with ties in first-appearance order; do the same.
  const added = [...frequency.entries()]
    .filter(([token, count]) => count >= options.minCount && !base.has(token))
    .sort((a, b) => b[1] - a[1])
    .slice(0, Math.max(0, options.maxSize - tokens.length));
  return Vocabulary.fromJSON({
    tokens: [...tokens, ...added.map(([token]) => token)],
    counts: [...counts, ...added.map(([, count]) => count)],
  });
}

/** What changed in a guild's corpus since a model was trained. */
export interface CorpusChanges {
  /** Sentences added since the model (the newest ones, in insertion order). */
  added: number;
  /** Sentences removed since the model. */
  removed: number;
}

/**
 * Works out additions and removals from the revision counter (one step per sentence added or
 * removed) and the sentence counts: added + removed = revision change, added - removed = count
 * change.
 */
export function corpusChanges(
  model: { corpusRevision: number; corpusSentences: number },
  corpus: { revision: number; sentences: number },
): CorpusChanges {
  const steps = corpus.revision - model.corpusRevision;
  const growth = corpus.sentences - model.corpusSentences;
  return { added: (steps + growth) / 2, removed: (steps - growth) / 2 };
}

/**
 * The training sentences of an incremental run: every new sentence plus a seeded sample of
 * `oldSample` older ones, replayed so the model does not forget what it knew. Order is left to
 * the trainer's shuffling.
 */
export function incrementalSelection(
  fresh: readonly string[][],
  old: readonly string[][],
  options: { oldSample: number; seed: number },
): string[][] {
  const replayed = new Random(options.seed).fork('replay').shuffle([...old]).slice(0, options.oldSample);
  return [...fresh, ...replayed];
}
