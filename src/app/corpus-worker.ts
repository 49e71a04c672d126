/**
 * The corpus worker thread (started by `corpus-digester.ts`): opens its own read-only connection
 * to the database, digests one guild's corpus, posts the digest (the arrays of its 3-gram
 * transferred, not copied) and ends.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { digestCorpus } from '../explain/corpus-digest.ts';
import { stateBuffers } from '../lm/kneser-ney-counts.ts';
import { Vocabulary } from '../lm/vocabulary.ts';
import { openStore } from '../store/index.ts';
import type { CorpusJob } from './corpus-digester.ts';

if (!parentPort) throw new Error('corpus-worker.ts only runs as a worker thread');
const port = parentPort;
const job = workerData as CorpusJob;

const store = openStore(job.dbPath, { readOnly: true });
try {
  const digest = digestCorpus(store.corpusEntries(job.guildId), Vocabulary.fromJSON(job.vocabulary));
  port.postMessage(digest, stateBuffers(digest.trigram));
} finally {
  store.close();
  // Nothing else keeps the thread alive: closing the port lets it end.
  port.close();
}
