/**
 * Digests a guild's corpus (see `corpus-digest.ts`) without blocking the main thread, where the
 * Discord connection and every interaction run: reading 100,000 sentences and training their
 * 3-gram would stall them for two to three seconds.
 *
 * @module
 */
import { digestCorpus, type CorpusDigest } from '../explain/corpus-digest.ts';
import type { Vocabulary, VocabularyJSON } from '../lm/vocabulary.ts';
import type { Store } from '../store/index.ts';
import { startTypeScriptWorker } from '../threads/start-worker.ts';

/** What the corpus worker thread is started with. */
export interface CorpusJob {
  /** The database file the worker opens its own connection to. */
  dbPath: string;
  guildId: string;
  vocabulary: VocabularyJSON;
}

const WORKER_URL = new URL('./corpus-worker.ts', import.meta.url);

/**
 * The guild's corpus digested in `vocabulary`: in a worker thread with its own connection when
 * the store is a file, in this thread for an in-memory store, which no other connection can see.
 * Rejects when the worker fails or exits without a digest.
 */
export function digestGuildCorpus(store: Store, guildId: string, vocabulary: Vocabulary): Promise<CorpusDigest> {
  const dbPath = store.file;
  if (dbPath === null) return Promise.resolve().then(() => digestCorpus(store.corpusEntries(guildId), vocabulary));
  return new Promise((resolve, reject) => {
    const worker = startTypeScriptWorker(WORKER_URL, { workerData: { dbPath, guildId, vocabulary: vocabulary.toJSON() } satisfies CorpusJob });
    let failure: Error | undefined;
    worker.once('message', resolve);
    worker.once('error', (error) => {
      failure = error;
    });
    // Settling an already resolved promise is a no-op, so this only reports a missing digest.
    worker.once('exit', (code) => reject(new Error(`corpus worker ${failure ? `failed: ${failure.message}` : `exited with code ${code}`}`)));
  });
}
