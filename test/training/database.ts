import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openStore, type Store } from '../../src/store/index.ts';
import type { TrainingService } from '../../src/training/service.ts';
import { TINY_CORPUS, teachSentences } from './corpus.ts';

/** The database of one test; see {@link trainingDatabase}. */
export interface TrainingDatabase {
  dir: string;
  dbPath: string;
  store: Store;
  /** The service the test started, if any: stopped after the test. */
  service: TrainingService | undefined;
}

/**
 * Gives each test of the calling file a fresh database file (in a folder named after `prefix`)
 * with {@link TINY_CORPUS} taught to guild 'g', and cleans up after it.
 */
export function trainingDatabase(prefix: string): TrainingDatabase {
  const db = { service: undefined } as TrainingDatabase;
  beforeEach(() => {
    db.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    db.dbPath = path.join(db.dir, 'bot.sqlite');
    db.store = openStore(db.dbPath);
    teachSentences(db.store, 'g', TINY_CORPUS);
  });
  afterEach(async () => {
    await db.service?.stop();
    db.service = undefined;
    db.store.close();
    fs.rmSync(db.dir, { recursive: true, force: true });
  });
  return db;
}
