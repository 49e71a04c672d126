/**
 * A worker thread for the store's concurrency tests: opens its own store (its own connection) on
 * the database it is given, waits for the start signal shared by every racer, then does its part
 * as fast as it can and posts what it got.
 *
 * - `claim`: claims runs until none is left; posts the claimed run ids.
 * - `enqueue`: queues a run for each of `guilds`; posts `[guildId, runId, created]` per call.
 * - `teach`: adds each of `texts` to guild `g`; posts `[text, status]` per call.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../../src/store/index.ts';

export interface RaceWorkerData {
  url: string;
  task: 'claim' | 'enqueue' | 'teach';
  guilds?: string[];
  texts?: string[];
  /** One Int32 that the test sets to 1 once every racer is ready. */
  start: SharedArrayBuffer;
}

const { url, task, guilds = [], texts = [], start } = workerData as RaceWorkerData;
const store = openStore(url);
parentPort!.postMessage('ready');
Atomics.wait(new Int32Array(start), 0, 0);

const results: unknown[] = [];
if (task === 'claim') {
  for (let run = store.claimNextRun(); run !== undefined; run = store.claimNextRun()) results.push(run.id);
} else if (task === 'enqueue') {
  for (const guildId of guilds) {
    const { run, created } = store.enqueueRun(guildId, { kind: 'incremental', trigger: 'schedule' });
    results.push([guildId, run.id, created]);
  }
} else {
  for (const text of texts) {
    const tokens = text.split(' ');
    const result = store.addSentence({ guildId: 'g', channelId: null, authorId: 'u', text, tokens, dedupeKey: text, source: 'import' });
    results.push([text, result.status]);
  }
}
store.close();
parentPort!.postMessage(results);
