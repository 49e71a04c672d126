/**
 * A pool thread for the worker pool's tests: answers `{ echo }` after `delayMs`, fails on `{ fail }`,
 * ends its thread on `{ exit }`, reports the notices it got before the job, and with every answer
 * its status: the jobs it answered.
 */
import { threadId } from 'node:worker_threads';
import { serveJobs } from '../../src/threads/pool-worker.ts';

/** A job of the echo thread. */
export type EchoJob = { echo: string; delayMs?: number } | { fail: string } | { exit: number };

/** What the echo thread answers. */
export interface EchoResult {
  echo: string;
  threadId: number;
  notices: unknown[];
}

const notices: unknown[] = [];
let answered = 0;

serveJobs<EchoJob, EchoResult>({
  async run(job) {
    answered += 1;
    if ('fail' in job) throw new Error(job.fail);
    if ('exit' in job) process.exit(job.exit);
    await new Promise((resolve) => setTimeout(resolve, job.delayMs ?? 0));
    return { echo: job.echo, threadId, notices: [...notices] };
  },
  notice(notice) {
    notices.push(notice);
  },
  status: () => ({ threadId, answered }),
});
