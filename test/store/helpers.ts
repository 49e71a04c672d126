import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/store.ts';
import type { ModelInput, SentenceInput } from '../../src/store/types.ts';

/**
 * Registers cleanup for the calling test file and returns a factory of fresh temp folders;
 * stores opened through `open` are closed after each test.
 */
export function useTempStores(): {
  tempDir(): string;
  open(file?: string): Store;
} {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) {
      try {
        store.close();
      } catch {
        // Already closed by the test itself.
      }
    }
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-test-'));
    dirs.push(dir);
    return dir;
  };
  return {
    tempDir,
    open(file = path.join(tempDir(), 'bot.sqlite')) {
      const store = openStore(file);
      stores.push(store);
      return store;
    },
  };
}

/** A sentence input taught by `authorId` in `guildId`, keyed like the bot keys it. */
export function sentence(
  guildId: string,
  authorId: string,
  text: string,
  extra: Partial<SentenceInput> = {},
): SentenceInput {
  const tokens = text.split(/\s+/).filter(Boolean);
  return {
    guildId,
    channelId: 'channel-1',
    authorId,
    text,
    tokens,
    dedupeKey: tokens.join(' '),
    source: 'discord',
    ...extra,
  };
}

/** A small model payload; `seed` makes its weights and metrics recognisable. */
export function model(guildId: string, corpusRevision: number, seed = corpusRevision): ModelInput {
  return {
    guildId,
    topology: { className: 'Sequential', seed },
    weights: Float32Array.from([seed, seed + 0.5, -seed]),
    vocabulary: ['<pad>', '<unk>', `word${seed}`],
    hyperparameters: { hiddenSize: 8, seed },
    metrics: { history: [{ epoch: 1, trainLoss: 1 / (seed + 1) }] },
    corpusSentences: corpusRevision,
    corpusRevision,
  };
}
