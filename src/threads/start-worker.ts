/**
 * Starts worker threads that run TypeScript modules, the way the bot itself runs under tsx.
 *
 * @module
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

const BOOTSTRAP_URL = new URL('./worker-bootstrap.mjs', import.meta.url);

/**
 * A worker thread running the TypeScript module at `entry` (e.g. `new URL('./worker.ts',
 * import.meta.url)`), with `options` as for `new Worker` (its `execArgv` and `argv` excepted).
 */
export function startTypeScriptWorker(entry: URL, options: Omit<WorkerOptions, 'execArgv' | 'argv' | 'eval'> = {}): Worker {
  return new Worker(BOOTSTRAP_URL, {
    ...options,
    // The bootstrap registers the TypeScript loader itself (Node 20 ignores `--import` in a
    // worker's execArgv); start from clean flags so it is registered exactly once.
    execArgv: [],
    argv: [entry.href],
  });
}
