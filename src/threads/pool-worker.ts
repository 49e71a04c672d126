/**
 * The thread side of a `WorkerPool` (`worker-pool.ts`): answers the jobs the pool posts, one at a time in the
 * order they came, and hands notices to the module as they arrive.
 *
 * @module
 */
import { parentPort, type TransferListItem } from 'node:worker_threads';
import { errorMessage } from '../errors.ts';
import type { FromPoolWorker, ToPoolWorker } from './worker-pool.ts';

/** What a pool's module does with what it is posted. */
export interface JobHandler<Job, Result> {
  run(job: Job): Result | Promise<Result>;
  /** Buffers of a result to move rather than copy (they are unusable here afterwards). */
  transferOf?(result: Result): TransferListItem[];
  /** A notice from the pool's `notify`. */
  notice?(notice: unknown): void;
  /** A summary of the thread's state, sent with every answer (plain data). */
  status?(): unknown;
}

/** Serves the pool's jobs in this thread until the pool ends it. */
export function serveJobs<Job, Result>(handler: JobHandler<Job, Result>): void {
  if (!parentPort) throw new Error('serveJobs only runs in a worker thread of a WorkerPool');
  const port = parentPort;
  port.on('message', (message: ToPoolWorker) => {
    if (message.kind === 'notice') {
      handler.notice?.(message.notice);
      return;
    }
    const { id } = message;
    void (async () => {
      let answer: FromPoolWorker;
      let transfer: TransferListItem[] = [];
      try {
        const result = await handler.run(message.job as Job);
        answer = { id, result };
        transfer = handler.transferOf?.(result) ?? [];
      } catch (error) {
        answer = { id, error: errorMessage(error) };
      }
      port.postMessage({ ...answer, status: handler.status?.() } satisfies FromPoolWorker, transfer);
    })();
  });
}
