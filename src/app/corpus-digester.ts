/**
 * Digests guilds' corpora (see `corpus-digest.ts`) without blocking the main thread, where the
 * Discord connection and every interaction run: reading 100,000 sentences and training their
 * 3-gram would stall them for two to three seconds.
 *
 * @module
 */
import { digestCorpus, type CorpusDigest } from '../explain/corpus-digest.ts';
import type { Vocabulary, VocabularyJSON } from '../lm/vocabulary.ts';
import type { Store } from '../store/index.ts';
import { WorkerPool } from '../threads/worker-pool.ts';

/** What the corpus threads are started with. */
export interface CorpusWorkerData {
  /** The database file each thread opens its own read-only connection to. */
  dbPath: string;
}

/** One corpus to digest. */
export interface CorpusJob {
  guildId: string;
  vocabulary: VocabularyJSON;
}

/** Options of a {@link CorpusDigester}. */
export interface CorpusDigesterOptions {
  /** Threads that digest at once. Default 1: a digest is seconds at most, and the other core trains. */
  threads?: number;
  /** A thread idle this long ends (it holds a connection and a heap). Default 30 s. */
  idleMs?: number;
}

const WORKER_URL = new URL('./corpus-worker.ts', import.meta.url);
const DEFAULT_IDLE_MS = 30_000;

/**
 * Digests corpora in a small pool of reused worker threads, each with its own read-only connection
 * when the store is a file; in this thread for an in-memory store, which no other connection can
 * see. However many servers load their models at once, at most `threads` threads digest.
 */
export class CorpusDigester {
  readonly #store: Store;
  readonly #pool: WorkerPool<CorpusJob, CorpusDigest> | null;

  constructor(store: Store, options: CorpusDigesterOptions = {}) {
    this.#store = store;
    const dbPath = store.location;
    this.#pool =
      dbPath === null
        ? null
        : new WorkerPool(WORKER_URL, {
            size: options.threads ?? 1,
            idleMs: options.idleMs ?? DEFAULT_IDLE_MS,
            workerData: { dbPath } satisfies CorpusWorkerData,
          });
  }

  /** Threads started so far (0 for an in-memory store). */
  get threadsStarted(): number {
    return this.#pool?.threadsStarted ?? 0;
  }

  /** The guild's corpus digested in `vocabulary`. Rejects when its thread fails. */
  digest(guildId: string, vocabulary: Vocabulary): Promise<CorpusDigest> {
    if (this.#pool === null) return Promise.resolve().then(() => digestCorpus(this.#store.corpusEntries(guildId), vocabulary));
    return this.#pool.run({ guildId, vocabulary: vocabulary.toJSON() });
  }

  /** Ends the threads. */
  close(): Promise<void> {
    return this.#pool?.close() ?? Promise.resolve();
  }
}
