/**
 * The training worker thread (started by `worker-runner.ts`): opens its own connection to the
 * database, runs one job, streams its progress and reports the result, then ends so that
 * everything the run allocated is released with the thread.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/store.ts';
import { lowerThreadPriority, TRAINING_NICE } from '../threads/priority.ts';
import { runTrainingJob } from './job.ts';
import type { FromWorker, ToWorker, WorkerInput } from './protocol.ts';

if (!parentPort) throw new Error('worker.ts only runs as a worker thread');
lowerThreadPriority(TRAINING_NICE);
const port = parentPort;
const input = workerData as WorkerInput;
const post = (message: FromWorker): void => port.postMessage(message);

const controller = new AbortController();
port.on('message', (message: ToWorker) => {
  if (message.type === 'abort') controller.abort();
});

const store = openStore(input.dbPath);
try {
  const run = store.getRun(input.runId);
  if (!run) throw new Error(`training run ${input.runId} does not exist`);
  const result = await runTrainingJob(store, run, {
    settings: input.settings,
    signal: controller.signal,
    onProgress: (progress) => post({ type: 'progress', progress }),
  });
  post({ type: 'result', result });
} finally {
  store.close();
  // Nothing else keeps the thread alive: closing the port lets it end.
  port.close();
}
