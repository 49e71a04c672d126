/**
 * The pieces words are made of, for the embeddings of words a corpus shows rarely: a word's runs of
 * one to {@link MAX_PIECE_LENGTH} Chinese characters that other words of the vocabulary share.
 * 小猫 shares 猫 with 猫 and 猫粮; a network that has learnt those can place 小猫 before it has seen
 * it often (character-enhanced word embeddings, Chen et al. 2015).
 *
 * Only Han characters (Chinese hanzi, Japanese kanji) make pieces: each carries meaning on its
 * own, and a word has few of them. Letters do not, and a Latin word has many letter n-grams: with
 * them an English vocabulary had five times the word-piece pairs, a quarter more time per training
 * step, which a corpus whose training the time budget cuts short pays in epochs.
 *
 * @module
 */

/** Longest piece, in characters (code points). */
export const MAX_PIECE_LENGTH = 3;

/**
 * A piece found in more than this share of the words is left out: it says nothing about any of
 * them, and would cost a pass over most of the vocabulary.
 */
export const MAX_PIECE_WORD_SHARE = 0.05;

/** The pieces of a vocabulary's words. */
export interface WordPieces {
  /** Distinct pieces. */
  count: number;
  /** For each vocabulary id, the pieces of its word (none for special tokens and unshared words). */
  ofWord: readonly (readonly number[])[];
}

/**
 * The pieces of `tokens` (a vocabulary's tokens by id, from `firstWordId` on words): every run of
 * Han characters a word shares with at least one other word, and with at most
 * {@link MAX_PIECE_WORD_SHARE} of them.
 */
export function wordPieces(tokens: readonly string[], firstWordId: number): WordPieces {
  const candidates = tokens.map((token, id) => (id < firstWordId ? [] : characterNgrams(token)));
  const words = new Map<string, number>();
  for (const ngrams of candidates) for (const ngram of ngrams) words.set(ngram, (words.get(ngram) ?? 0) + 1);
  const maxWords = Math.max(2, Math.floor(MAX_PIECE_WORD_SHARE * (tokens.length - firstWordId)));
  const ids = new Map<string, number>();
  const ofWord = candidates.map((ngrams) =>
    ngrams
      .filter((ngram) => {
        const count = words.get(ngram)!;
        return count >= 2 && count <= maxWords;
      })
      .map((ngram) => {
        let id = ids.get(ngram);
        if (id === undefined) ids.set(ngram, (id = ids.size));
        return id;
      }),
  );
  return { count: ids.size, ofWord };
}

const HAN_RUN = /\p{Script=Han}+/gu;

/** The distinct runs of one to {@link MAX_PIECE_LENGTH} Han characters in `word`. */
function characterNgrams(word: string): string[] {
  const ngrams = new Set<string>();
  for (const [run] of word.matchAll(HAN_RUN)) {
    const characters = [...run];
    for (let length = 1; length <= Math.min(MAX_PIECE_LENGTH, characters.length); length++) {
      for (let start = 0; start + length <= characters.length; start++) ngrams.add(characters.slice(start, start + length).join(''));
    }
  }
  return [...ngrams];
}
