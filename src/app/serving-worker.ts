/**
 * A serving thread of the {@link ServingPool} (`serving-pool.ts`): holds serving models of its
 * own, loaded from the database by guild through its own read-only connection, and runs the slow
 * use cases on them (see `serving-jobs.ts`). Its corpus digests are counted here: this thread is
 * already off the main one.
 *
 * @module
 */
import { workerData } from 'node:worker_threads';
import { digestCorpus } from '../explain/corpus-digest.ts';
import { initBackend } from '../lm/backend.ts';
import { openStore } from '../store/index.ts';
import { serveJobs } from '../threads/pool-worker.ts';
import { lowerThreadPriority, SERVING_NICE } from '../threads/priority.ts';
import { ModelRegistry } from './model-registry.ts';
import { runServingJob, type ServingJob, type ServingResult } from './serving-jobs.ts';
import type { ServingNotice, ServingWorkerData } from './serving-pool.ts';

lowerThreadPriority(SERVING_NICE);
const { dbPath, backend, cache } = workerData as ServingWorkerData;
// The main thread's backend: the same kernels answer here as there.
await initBackend(backend);
const store = openStore(dbPath, { readOnly: true });
const models = new ModelRegistry(store, {
  digestCorpus: async (guildId, vocabulary) => digestCorpus(store.corpusEntries(guildId), vocabulary),
  settings: cache,
});

serveJobs<ServingJob, ServingResult>({
  run: (job) => runServingJob(models, store, job),
  status: () => models.held(),
  notice(notice) {
    // The guild's next job waits for the recount.
    void models.recountCorpus((notice as ServingNotice).guildId);
  },
});
