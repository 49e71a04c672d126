import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe } from 'vitest';
import type { Connection, Dialect } from '../../src/store/connection.ts';
import { PostgresConnection } from '../../src/store/postgres/connection.ts';
import { openStore, type OpenStoreOptions } from '../../src/store/store.ts';
import { PostgresDatabases, TEST_DATABASE_URL } from '../support/postgres-databases.ts';
import type { Store } from '../../src/store/store.ts';
import type { ModelInput, SentenceInput } from '../../src/store/types.ts';


/** Fresh databases of one backend for the tests of a describe block, removed after each test. */
export interface TestStores {
  readonly backend: Dialect;
  /** A new, empty database: a file in a temporary folder, or a PostgreSQL database of its own. */
  location(): string;
  /** Opens a store at `location` (a new database by default), closed after the test. */
  open(location?: string, options?: OpenStoreOptions): Store;
  /** A connection to the database at `location` under the store's API, closed after the test. */
  connect(location: string): Connection;
}

/** Closes what a test left open, then removes its databases (after each test of the caller's block). */
function useCleanup(removeDatabases: () => void): { stores: Store[]; connections: { close(): unknown }[] } {
  const stores: Store[] = [];
  const connections: { close(): unknown }[] = [];
  afterEach(() => {
    for (const closable of [...stores.splice(0), ...connections.splice(0)]) {
      try {
        closable.close();
      } catch {
        // Already closed by the test itself.
      }
    }
    removeDatabases();
  });
  return { stores, connections };
}

/**
 * Registers cleanup for the calling test file (or describe block) and returns a factory of fresh
 * temp folders; stores opened through `open` are closed after each test.
 */
export function useTempStores(): TestStores & { tempDir(): string } {
  const dirs: string[] = [];
  const { stores, connections } = useCleanup(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-test-'));
    dirs.push(dir);
    return dir;
  };
  const location = (): string => path.join(tempDir(), 'bot.sqlite');
  return {
    backend: 'sqlite',
    tempDir,
    location,
    open(file = location(), options = {}) {
      const store = openStore(file, options);
      stores.push(store);
      return store;
    },
    connect(file) {
      const db = new Database(file);
      connections.push(db);
      return db;
    },
  };
}

/**
 * Fresh PostgreSQL databases on the server at `adminUrl`: each `location()` creates one
 * (`store_test_<random>`), dropped after the test.
 */
export function usePostgresStores(adminUrl: string): TestStores {
  const databases = new PostgresDatabases(adminUrl, 'store_test');
  const { stores, connections } = useCleanup(() => databases.dropAll());
  afterAll(() => databases.close());
  const location = (): string => databases.create();
  return {
    backend: 'postgres',
    location,
    open(url = location(), options = {}) {
      const store = openStore(url, options);
      stores.push(store);
      return store;
    },
    connect(url) {
      const db = new PostgresConnection(url);
      connections.push(db);
      return db;
    },
  };
}

/**
 * Defines the same tests on each backend: SQLite, and PostgreSQL when `TEST_DATABASE_URL` names
 * a server to create test databases on (`scripts/test-postgres.sh` starts a throwaway one);
 * without it the PostgreSQL half is reported as skipped, saying why.
 */
export function describeEachBackend(title: string, define: (stores: TestStores) => void): void {
  describe(`${title} (SQLite)`, () => define(useTempStores()));
  const url = TEST_DATABASE_URL;
  describe.skipIf(url === undefined)(
    url === undefined ? `${title} (PostgreSQL: skipped, TEST_DATABASE_URL is not set)` : `${title} (PostgreSQL)`,
    () => define(usePostgresStores(url ?? 'postgres://unset')),
  );
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
