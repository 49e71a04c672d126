/**
 * A corpus thread of the {@link CorpusDigester} (`corpus-digester.ts`): opens its own read-only
 * connection to the database once, then digests the corpora it is asked for, posting each digest
 * with the arrays of its 3-gram transferred, not copied.
 *
 * @module
 */
import { workerData } from 'node:worker_threads';
import { digestCorpus, type CorpusDigest } from '../explain/corpus-digest.ts';
import { stateBuffers } from '../lm/kneser-ney-counts.ts';
import { Vocabulary } from '../lm/vocabulary.ts';
import { openStore } from '../store/index.ts';
import { serveJobs } from '../threads/pool-worker.ts';
import type { CorpusJob, CorpusWorkerData } from './corpus-digester.ts';

const { dbPath } = workerData as CorpusWorkerData;
const store = openStore(dbPath, { readOnly: true });

serveJobs<CorpusJob, CorpusDigest>({
  run: (job) => digestCorpus(store.corpusEntries(job.guildId), Vocabulary.fromJSON(job.vocabulary)),
  transferOf: (digest) => stateBuffers(digest.trigram),
});
