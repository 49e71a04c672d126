/**
 * A store in a temporary directory, for scenarios that run the product's import and training
 * path without touching a real database.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../src/store/index.ts';

/** Runs `use` on a fresh store in a new temporary directory, then closes and removes both. */
export async function withTemporaryStore<T>(use: (store: Store) => Promise<T> | T): Promise<T> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-store-'));
  const store = openStore(path.join(directory, 'bench.sqlite'));
  try {
    return await use(store);
  } finally {
    store.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
