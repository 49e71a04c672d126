/**
 * Corpus files and the held-out split every scenario shares.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../../src/errors.ts';
import { Random } from '../../src/lm/random.ts';
import { fetchCorpus } from '../corpora/fetch.ts';
import { CORPORA, findCorpus } from '../corpora/manifest.ts';
import { UsageError } from './scenario.ts';

/** The corpus bundled with the product (a fresh clone has nothing else). */
export const DEFAULT_CORPUS = fileURLToPath(new URL('../../data/sample-corpus.txt', import.meta.url));

/** The non-blank lines of a UTF-8 corpus file (one sentence per line), trimmed. */
export function readCorpus(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read corpus ${file}: ${errorMessage(error)}`);
  }
  const lines = text
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length === 0) throw new UsageError(`corpus ${file} has no sentences`);
  return lines;
}

/** A corpus given on the command line, read. */
export interface LoadedCorpus {
  /** The manifest name, or the file's path as {@link displayPath} gives it. */
  name: string;
  lines: string[];
}

/**
 * Reads a corpus named on the command line: a name of `bench/corpora/manifest.ts` (fetched and
 * prepared into the cache first when needed) or a file path.
 */
export function loadCorpus(nameOrFile: string, log: (line: string) => void = () => {}): LoadedCorpus {
  const entry = findCorpus(nameOrFile);
  if (entry !== undefined) return { name: entry.name, lines: readCorpus(fetchCorpus(entry, log).file) };
  if (!fs.existsSync(nameOrFile) && !nameOrFile.includes('/') && !nameOrFile.includes('.')) {
    throw new UsageError(`no corpus named '${nameOrFile}' (named corpora: ${CORPORA.map((corpus) => corpus.name).join(', ')}) and no such file`);
  }
  return { name: displayPath(nameOrFile), lines: readCorpus(nameOrFile) };
}

/** How many sentences of a corpus to use: a sample of that many, or all of them. */
export type CorpusSize = number | 'all';

/**
 * A sample of `size` items drawn with a seeded generator, kept in corpus order; every item for
 * `'all'` or a size of at least the corpus. For one seed, a smaller sample is part of every larger
 * one (all come from the same permutation), so sizes differ only by the sentences added.
 */
export function sampleCorpus<T>(items: readonly T[], size: CorpusSize, seed = SAMPLE_SEED): T[] {
  if (size === 'all' || size >= items.length) return [...items];
  const order = items.map((_, index) => index);
  const random = new Random(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order
    .slice(0, size)
    .sort((a, b) => a - b)
    .map((index) => items[index]!);
}

/** The seed of {@link sampleCorpus}: fixed, so every run and every model sees the same sample. */
export const SAMPLE_SEED = 17;

/**
 * Every 10th item (index % 10 == 9) held out, the rest for training: the split of the PyTorch
 * reference (`sents[9::10]`), deterministic and independent of content.
 */
export function holdOutEveryTenth<T>(items: readonly T[]): { train: T[]; heldOut: T[] } {
  return {
    train: items.filter((_, index) => index % 10 !== 9),
    heldOut: items.filter((_, index) => index % 10 === 9),
  };
}

/**
 * At most `count` items spread over the whole list: every k-th item, k = floor(length / count),
 * so a sample of a corpus ordered by time covers all of it.
 */
export function sampleEvenly<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  const step = Math.floor(items.length / count);
  return Array.from({ length: count }, (_, i) => items[i * step]!);
}

/** A corpus path as reported in results: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** The corpus, then copies of it with a number appended, up to `count` distinct sentences. */
export function numberedCopies(corpus: readonly string[], count: number): string[] {
  return Array.from({ length: count }, (_, index) => {
    const sentence = corpus[index % corpus.length]!;
    const copy = Math.floor(index / corpus.length);
    return copy === 0 ? sentence : `${sentence} ${copy}`;
  });
}
