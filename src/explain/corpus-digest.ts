/**
 * What the bot needs of a guild's whole corpus, gathered in one pass in the serving model's
 * vocabulary: its 3-gram (the n-gram that serves small corpora and the fixed-window model
 * `/explain` compares with) and the corpus facts `/explain` quotes. Reading 100,000 sentences and
 * training their 3-gram takes seconds, so the app runs this in a worker thread, once per serving
 * model.
 *
 * @module
 */
import type { KneserNeyState } from '../lm/kneser-ney-counts.ts';
import { KneserNeyTrigram } from '../lm/kneser-ney.ts';
import { UNK } from '../lm/special-tokens.ts';
import type { Vocabulary } from '../lm/vocabulary.ts';

/** A sentence of the corpus: its stored id (to check later that it still exists) and its tokens. */
export interface CorpusSentence {
  id: number;
  tokens: string[];
}

/** The result of {@link digestCorpus}; posted from a worker thread, so plain data only. */
export interface CorpusDigest {
  /** Sentences in the corpus. */
  sentences: number;
  /** Tokens in the corpus. */
  tokens: number;
  /** How often each token the vocabulary does not know occurs. */
  unknownCounts: Map<string, number>;
  /**
   * A uniform random sample of at most {@link EXAMPLE_SAMPLE_SIZE} sentences that can serve as
   * examples: longer than {@link MIN_EXAMPLE_WORDS} words, the first of them all known.
   */
  examples: CorpusSentence[];
  /** The 3-gram of the corpus in the vocabulary, for {@link KneserNeyTrigram.fromState}. */
  trigram: KneserNeyState;
}

/** The shortest example worth taking apart: enough words for memory and gradients to show something. */
export const MIN_EXAMPLE_WORDS = 3;

/** Example sentences kept in a digest: plenty to pick from, and a fixed cost however large the corpus. */
export const EXAMPLE_SAMPLE_SIZE = 1_000;

/** Digests a corpus in `vocabulary`; `random` draws the example sample, uniform in [0, 1). */
export function digestCorpus(
  sentences: readonly CorpusSentence[],
  vocabulary: Vocabulary,
  random: () => number = Math.random,
): CorpusDigest {
  let tokens = 0;
  const unknownCounts = new Map<string, number>();
  const examples: CorpusSentence[] = [];
  let candidates = 0;
  const encoded: number[][] = [];
  for (const sentence of sentences) {
    const ids: number[] = [];
    for (const token of sentence.tokens) {
      const id = vocabulary.idOf(token);
      if (id === UNK && !vocabulary.has(token)) unknownCounts.set(token, (unknownCounts.get(token) ?? 0) + 1);
      // A token spelled like a special token (`<s>`) would encode to its id, which no sentence may hold.
      ids.push(vocabulary.isSpecial(id) ? UNK : id);
    }
    tokens += ids.length;
    if (ids.length > 0) encoded.push(ids);
    if (isExampleCandidate(sentence.tokens, vocabulary)) {
      // Reservoir sampling: every candidate ends up in the sample with the same probability.
      candidates += 1;
      if (examples.length < EXAMPLE_SAMPLE_SIZE) examples.push(sentence);
      else {
        const slot = Math.floor(random() * candidates);
        if (slot < EXAMPLE_SAMPLE_SIZE) examples[slot] = sentence;
      }
    }
  }
  return { sentences: sentences.length, tokens, unknownCounts, examples, trigram: KneserNeyTrigram.trainWithUnknownWords(encoded, vocabulary.size).toState() };
}

function isExampleCandidate(tokens: readonly string[], vocabulary: Vocabulary): boolean {
  return tokens.length > MIN_EXAMPLE_WORDS && tokens.slice(0, MIN_EXAMPLE_WORDS).every((token) => vocabulary.has(token));
}
