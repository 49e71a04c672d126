/**
 * Corpus files and the held-out split every scenario shares.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../../src/errors.ts';
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
