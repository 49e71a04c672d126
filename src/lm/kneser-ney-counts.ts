/**
 * Counting and estimation for `KneserNeyTrigram`: trigram counts packed into sorted keys, each
 * level's continuations with their discounted probabilities and backoff weights, and the checks a
 * state must pass before it serves. The formulas are in `kneser-ney.ts`'s documentation.
 *
 * @module
 */
import { BOS, EOS, FIRST_WORD_ID, PAD, UNK } from './special-tokens.ts';

/** How discounts are estimated from counts of counts; see the module documentation. */
export type DiscountVariant = 'modified' | 'standard';

/** Discounts of one level, subtracted from counts of 1, 2, and 3 or more. */
export type Discounts = readonly [number, number, number];

/** The discount used at a level whose counts of counts allow no estimate (no singleton or no doubleton). */
export const FALLBACK_DISCOUNT = 0.5;

/** Trigrams are packed into one float64 key `(u·V + v)·V + w`, exact while `V³` is a safe integer. */
const MAX_VOCAB_SIZE = Math.floor(Math.cbrt(Number.MAX_SAFE_INTEGER));

/** Continuations of every seen context of one level, with their discounted probabilities. */
export interface KneserNeyLevel {
  discounts: Discounts;
  /** Seen contexts, sorted; context `c` is `contextKeys[c]`. */
  contextKeys: Float64Array<ArrayBuffer>;
  /** Continuations of context `c` are entries `start[c] .. start[c + 1] - 1`, sorted by word. */
  start: Int32Array<ArrayBuffer>;
  words: Int32Array<ArrayBuffer>;
  /** `(count - D(count)) / total` of each entry. */
  discounted: Float64Array<ArrayBuffer>;
  /** Interpolation weight `γ` of the lower level, per context. */
  backoff: Float64Array<ArrayBuffer>;
}

/**
 * Everything a trained {@link KneserNeyTrigram} consists of, as plain data and typed arrays: what
 * {@link KneserNeyTrigram.toState} gives and {@link KneserNeyTrigram.fromState} takes, so a model
 * trained in one thread can serve in another without being computed again.
 */
export interface KneserNeyState {
  /** Ids run from 0 to `vocabSize - 1`. */
  vocabSize: number;
  bigram: KneserNeyLevel;
  trigram: KneserNeyLevel;
  /** Unigram level interpolated with the floor: the distribution after an unseen bigram context. */
  unigramDistribution: Float64Array<ArrayBuffer>;
  /** The discounts of the unigram level (those of the others are in their levels). */
  unigramDiscounts: Discounts;
}

/** The buffers of a state's arrays: transfer them to post the state without copying it. */
export function stateBuffers(state: KneserNeyState): ArrayBuffer[] {
  const levelBuffers = (level: KneserNeyLevel): ArrayBuffer[] =>
    [level.contextKeys, level.start, level.words, level.discounted, level.backoff].map((array) => array.buffer);
  return [...levelBuffers(state.bigram), ...levelBuffers(state.trigram), state.unigramDistribution.buffer];
}

/** Counts of one level, one entry per (context, word), sorted by context key then word. */
interface LevelCounts {
  contextKeys: Float64Array;
  words: Int32Array<ArrayBuffer>;
  counts: Float64Array;
}

/** The first index in `sorted[from..to)` whose value is not below `value`. */
export function lowerBound(sorted: ArrayLike<number>, value: number, from = 0, to = sorted.length): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Distinct values of a sorted array and how often each occurs. */
function runLengths(sorted: Float64Array): { keys: Float64Array<ArrayBuffer>; counts: Float64Array<ArrayBuffer> } {
  let distinct = 0;
  for (let index = 0; index < sorted.length; index++) if (index === 0 || sorted[index] !== sorted[index - 1]) distinct += 1;
  const keys = new Float64Array(distinct);
  const counts = new Float64Array(distinct);
  let run = -1;
  for (let index = 0; index < sorted.length; index++) {
    if (index === 0 || sorted[index] !== sorted[index - 1]) keys[++run] = sorted[index]!;
    counts[run]! += 1;
  }
  return { keys, counts };
}

/** The ids of a packed trigram key `(u·V + v)·V + w`, and its context key `u·V + v`. */
function unpack(key: number, size: number): { u: number; v: number; w: number; context: number } {
  const w = key % size;
  const context = (key - w) / size;
  const v = context % size;
  return { u: (context - v) / size, v, w, context };
}

/**
 * Estimates discounts from counts of counts (see the module documentation).
 */
export function estimateDiscounts(counts: ArrayLike<number>, variant: DiscountVariant): Discounts {
  const countsOfCounts = [0, 0, 0, 0, 0];
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (count >= 1 && count <= 4) countsOfCounts[count]! += 1;
  }
  const [, n1, n2, n3, n4] = countsOfCounts as [number, number, number, number, number];
  if (n1 === 0 || n2 === 0) return [FALLBACK_DISCOUNT, FALLBACK_DISCOUNT, FALLBACK_DISCOUNT];
  const y = n1 / (n1 + 2 * n2);
  if (variant === 'modified' && n3 > 0 && n4 > 0) {
    const modified: Discounts = [1 - (2 * y * n2) / n1, 2 - (3 * y * n3) / n2, 3 - (4 * y * n4) / n3];
    // A discount must leave some mass to the lower level and not exceed the counts it applies to.
    if (modified.every((discount, index) => discount > 0 && discount <= index + 1)) return modified;
  }
  return [y, y, y];
}

/** Builds one level from its counts: discounted probabilities and interpolation weights. */
function buildLevel({ contextKeys, words, counts }: LevelCounts, variant: DiscountVariant): KneserNeyLevel {
  const discounts = estimateDiscounts(counts, variant);
  const discountOf = (count: number): number => discounts[Math.min(count, 3) - 1]!;
  const { keys: distinctContexts, counts: continuations } = runLengths(contextKeys);
  const contextCount = distinctContexts.length;
  const start = new Int32Array(contextCount + 1);
  for (let context = 0; context < contextCount; context++) start[context + 1] = start[context]! + continuations[context]!;
  const discounted = new Float64Array(counts.length);
  const backoff = new Float64Array(contextCount);
  for (let context = 0; context < contextCount; context++) {
    const from = start[context]!;
    const to = start[context + 1]!;
    let total = 0;
    let removed = 0;
    for (let entry = from; entry < to; entry++) {
      total += counts[entry]!;
      removed += discountOf(counts[entry]!);
    }
    for (let entry = from; entry < to; entry++) {
      discounted[entry] = (counts[entry]! - discountOf(counts[entry]!)) / total;
    }
    backoff[context] = removed / total;
  }
  return { discounts, contextKeys: distinctContexts, start, words, discounted, backoff };
}

/** Whether an id may appear inside a training sentence: a word or `UNK`. */
function isWordId(id: number, vocabSize: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < vocabSize && id !== PAD && id !== BOS && id !== EOS;
}

export function checkVocabSize(vocabSize: number): void {
  if (!Number.isInteger(vocabSize) || vocabSize < FIRST_WORD_ID || vocabSize > MAX_VOCAB_SIZE) {
    throw new RangeError(`The vocabulary size must be an integer from ${FIRST_WORD_ID} to ${MAX_VOCAB_SIZE}`);
  }
}

export function checkDiscounts(discounts: Discounts): void {
  if (discounts.length !== 3 || !discounts.every((discount, index) => discount > 0 && discount <= index + 1)) {
    throw new RangeError(`Discounts ${String(discounts)} are not three discounts`);
  }
}

/**
 * Throws unless a level's arrays fit together the way {@link buildLevel} makes them. Entries are
 * not checked one by one: that would cost tens of milliseconds on a large model, and a state only
 * comes from {@link KneserNeyTrigram.toState} of this code.
 */
export function checkLevel(level: KneserNeyLevel): void {
  checkDiscounts(level.discounts);
  const { contextKeys, start, words, discounted, backoff } = level;
  const contexts = contextKeys.length;
  const fits =
    start.length === contexts + 1 &&
    backoff.length === contexts &&
    discounted.length === words.length &&
    start[0] === 0 &&
    start[contexts] === words.length;
  if (!fits) throw new RangeError('The arrays of a Kneser-Ney level do not fit together');
}

/**
 * The distinct trigrams of sentences of ids, each padded as `BOS BOS w1 .. wn EOS`, as packed
 * keys, increasing, and their counts. Throws as {@link KneserNeyTrigram.train} documents.
 */
export function countTrigrams(
  sentences: readonly (readonly number[])[],
  vocabSize: number,
  unknownStandIns: Iterable<number>,
): { keys: Float64Array; counts: Float64Array } {
  const standsIn = new Uint8Array(vocabSize);
  for (const id of unknownStandIns) {
    if (!isWordId(id, vocabSize) || id === UNK) throw new RangeError(`Id ${id} cannot stand in for the unknown word`);
    standsIn[id] = 1;
  }
  let positions = 0;
  for (const sentence of sentences) {
    positions += sentence.length + 1;
    for (const id of sentence) positions += standsIn[id] ?? 0;
  }
  const keys = new Float64Array(positions);
  let position = 0;
  for (const sentence of sentences) {
    let u = BOS;
    let v = BOS;
    for (let i = 0; i <= sentence.length; i++) {
      const w = i < sentence.length ? sentence[i]! : EOS;
      if (i < sentence.length && !isWordId(w, vocabSize)) {
        throw new RangeError(`Id ${w} cannot be a word of a training sentence (vocabulary size ${vocabSize})`);
      }
      keys[position++] = (u * vocabSize + v) * vocabSize + w;
      if (standsIn[w] === 1) keys[position++] = (u * vocabSize + v) * vocabSize + UNK;
      u = v;
      v = w;
    }
  }
  return runLengths(keys.sort());
}

/** Estimates every level from the distinct trigrams of the training sentences and their counts. */
export function buildState(vocabSize: number, variant: DiscountVariant, trigramKeys: Float64Array, trigramCounts: Float64Array): KneserNeyState {
  const size = vocabSize;
  // Trigrams after `BOS BOS` only repeat the bigrams `BOS w`, whose raw counts they are (nothing
  // precedes the start of a sentence): they form the bigram context BOS, not a trigram level
  // that would discount the same counts twice.
  const startFrom = lowerBound(trigramKeys, (BOS * size + BOS) * size);
  const startTo = lowerBound(trigramKeys, (BOS * size + BOS + 1) * size);
  const innerRanges = [
    [0, startFrom],
    [startTo, trigramKeys.length],
  ] as const;
  const innerCount = trigramKeys.length - (startTo - startFrom);
  const trigramLevel: LevelCounts = { contextKeys: new Float64Array(innerCount), words: new Int32Array(innerCount), counts: new Float64Array(innerCount) };
  // Bigram continuation counts N1+(· v w): how many distinct trigram types end in `v w`.
  const suffixes = new Float64Array(innerCount);
  let inner = 0;
  for (const [from, to] of innerRanges) {
    for (let entry = from; entry < to; entry++) {
      const { v, w, context } = unpack(trigramKeys[entry]!, size);
      trigramLevel.contextKeys[inner] = context;
      trigramLevel.words[inner] = w;
      trigramLevel.counts[inner] = trigramCounts[entry]!;
      suffixes[inner] = v * size + w;
      inner += 1;
    }
  }
  const trigram = buildLevel(trigramLevel, variant);

  const continued = runLengths(suffixes.sort());
  const bigramSize = continued.keys.length + startTo - startFrom;
  const bigramLevel: LevelCounts = { contextKeys: new Float64Array(bigramSize), words: new Int32Array(bigramSize), counts: new Float64Array(bigramSize) };
  let appended = 0;
  const append = (key: number, count: number): void => {
    const w = key % size;
    bigramLevel.contextKeys[appended] = (key - w) / size;
    bigramLevel.words[appended] = w;
    bigramLevel.counts[appended] = count;
    appended += 1;
  };
  // The raw counts after BOS go where context BOS sorts among the continuation counts.
  const insertAt = lowerBound(continued.keys, BOS * size);
  for (let entry = 0; entry < insertAt; entry++) append(continued.keys[entry]!, continued.counts[entry]!);
  for (let entry = startFrom; entry < startTo; entry++) append(BOS * size + (trigramKeys[entry]! % size), trigramCounts[entry]!);
  for (let entry = insertAt; entry < continued.keys.length; entry++) append(continued.keys[entry]!, continued.counts[entry]!);
  const bigram = buildLevel(bigramLevel, variant);

  // Unigram continuation counts N1+(· w): how many distinct bigram types end in `w`.
  const unigramContinuations = new Float64Array(size);
  for (const w of bigramLevel.words) unigramContinuations[w]! += 1;
  const seenWords = Int32Array.from(unigramContinuations.keys()).filter((id) => unigramContinuations[id]! > 0);
  const unigram = buildLevel(
    {
      contextKeys: new Float64Array(seenWords.length),
      words: seenWords,
      counts: Float64Array.from(seenWords, (id) => unigramContinuations[id]!),
    },
    variant,
  );
  const floorWeight = seenWords.length === 0 ? 1 : unigram.backoff[0]!;
  const unigramDistribution = new Float64Array(size).fill(floorWeight / (size - 2));
  unigramDistribution[PAD] = 0;
  unigramDistribution[BOS] = 0;
  seenWords.forEach((id, entry) => {
    unigramDistribution[id]! += unigram.discounted[entry]!;
  });
  return { vocabSize, bigram, trigram, unigramDistribution, unigramDiscounts: unigram.discounts };
}
