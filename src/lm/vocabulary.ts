import { BOS, EOS, PAD, UNK } from './special-tokens.ts';

/** Options of {@link Vocabulary.build}. */
export interface VocabularyOptions {
  /** Words seen fewer times than this are left out (they become the unknown token). */
  minCount: number;
  /** At most this many entries, special tokens included; the most frequent words are kept. */
  maxSize: number;
}

/** Serialised form of a {@link Vocabulary}, as stored beside a model. */
export interface VocabularyJSON {
  /** Tokens in id order, special tokens first. */
  tokens: string[];
  /** Corpus frequency of each token (0 for special tokens). */
  counts: number[];
}

/** The result of {@link Vocabulary.encode}. */
export interface EncodedTokens {
  ids: number[];
  /** Input tokens that are not in the vocabulary, in order of appearance, without repeats. */
  unknown: string[];
}

const SPECIAL_TOKENS: readonly string[] = (() => {
  const names: string[] = [];
  names[PAD] = '<pad>';
  names[UNK] = '<unk>';
  names[BOS] = '<s>';
  names[EOS] = '</s>';
  return names;
})();

/**
 * Maps tokens to the integer ids the model works with and back.
 *
 * Padding and unknown are distinct ids, so an unknown word in the input is never silently
 * confused with padding; {@link encode} names the unknown words so callers can report them.
 */
export class Vocabulary {
  private readonly idByToken: Map<string, number>;

  private constructor(
    private readonly tokens: readonly string[],
    private readonly counts: readonly number[],
  ) {
    this.idByToken = new Map(tokens.map((token, id) => [token, id]));
  }

  /** Number of special tokens at the start of every vocabulary. */
  static readonly specialCount = SPECIAL_TOKENS.length;

  /**
   * Builds a vocabulary from a corpus of tokenized sentences: the most frequent words first, ties
   * broken by first appearance so the result is deterministic.
   */
  static build(sentences: Iterable<readonly string[]>, options: VocabularyOptions): Vocabulary {
    if (options.maxSize <= SPECIAL_TOKENS.length) {
      throw new RangeError(`maxSize must exceed the ${SPECIAL_TOKENS.length} special tokens`);
    }
    const frequency = new Map<string, number>();
    for (const sentence of sentences) {
      for (const token of sentence) frequency.set(token, (frequency.get(token) ?? 0) + 1);
    }
    const kept = [...frequency.entries()]
      .filter(([token, count]) => count >= options.minCount && !SPECIAL_TOKENS.includes(token))
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.maxSize - SPECIAL_TOKENS.length);
    return new Vocabulary(
      [...SPECIAL_TOKENS, ...kept.map(([token]) => token)],
      [...SPECIAL_TOKENS.map(() => 0), ...kept.map(([, count]) => count)],
    );
  }

  /** Restores a vocabulary saved with {@link toJSON}; throws on a malformed payload. */
  static fromJSON(json: unknown): Vocabulary {
    const candidate = json as Partial<VocabularyJSON> | null;
    const tokens = candidate?.tokens;
    const counts = candidate?.counts;
    const valid =
      Array.isArray(tokens) &&
      Array.isArray(counts) &&
      tokens.length === counts.length &&
      tokens.every((token) => typeof token === 'string') &&
      counts.every((count) => Number.isInteger(count) && count >= 0) &&
      SPECIAL_TOKENS.every((token, id) => tokens[id] === token);
    if (!valid) throw new TypeError('The stored vocabulary is malformed');
    return new Vocabulary(tokens, counts);
  }

  /** Entries, special tokens included. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of a token, {@link UNK} when it is not in the vocabulary. */
  idOf(token: string): number {
    return this.idByToken.get(token) ?? UNK;
  }

  /** Whether the token has an id of its own. */
  has(token: string): boolean {
    return this.idByToken.has(token);
  }

  /** The token of an id; throws on an id outside the vocabulary. */
  tokenOf(id: number): string {
    const token = this.tokens[id];
    if (token === undefined) throw new RangeError(`No token has id ${id}`);
    return token;
  }

  /** How often the token occurred in the corpus the vocabulary was built from (0 if unknown). */
  countOf(token: string): number {
    const id = this.idByToken.get(token);
    return id === undefined ? 0 : (this.counts[id] ?? 0);
  }

  /** Whether an id is one of the special tokens (padding, unknown, start, end). */
  isSpecial(id: number): boolean {
    return id < SPECIAL_TOKENS.length;
  }

  /** Encodes tokens, naming the ones that are unknown. */
  encode(tokens: readonly string[]): EncodedTokens {
    const unknown: string[] = [];
    const ids = tokens.map((token) => {
      const id = this.idByToken.get(token);
      if (id !== undefined) return id;
      if (!unknown.includes(token)) unknown.push(token);
      return UNK;
    });
    return { ids, unknown };
  }

  toJSON(): VocabularyJSON {
    return { tokens: [...this.tokens], counts: [...this.counts] };
  }
}
