/**
 * A synchronous PostgreSQL client. The store's contract is synchronous, as better-sqlite3 is: some
 * sixty call sites (the main thread, worker threads, the command line) read and write it without
 * awaiting. PostgreSQL's driver is asynchronous, so a thread of its own holds the connection; the
 * caller posts each statement to it and blocks (`Atomics.wait`) until the answer is in, as a
 * better-sqlite3 call blocks on the disk. On loopback a one-statement call takes about 0.3 ms
 * (`servingModelInfo`, median, against 0.01 ms on SQLite), so a thread spends its time waiting on
 * the server rather than on the handover. A statement is bounded by the server's
 * `statement_timeout` (lock waits included), and the wait itself by a little more, so a vanished
 * server cannot block a thread for good.
 *
 * @module
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { errorMessage } from '../../errors.ts';
import { startTypeScriptWorker } from '../../threads/start-worker.ts';
import { StoreError } from '../errors.ts';
import { PENDING, type Answer, type ClientThreadData, type QueryResult, type Request } from './protocol.ts';

const THREAD_URL = new URL('./client-thread.ts', import.meta.url);

/** How long a statement may run, waiting for locks included, before the server cancels it. */
export const STATEMENT_TIMEOUT_MS = 30_000;

/** How long opening may take: starting the thread, connecting and authenticating. */
const CONNECT_TIMEOUT_MS = 30_000;

/** An error of the server, with its SQLSTATE code (e.g. `23505`, a unique violation). */
export class PostgresError extends Error {
  override readonly name = 'PostgresError';

  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** One PostgreSQL connection whose every call blocks until the server answers. */
export class SyncPostgresClient {
  readonly #thread: Worker;
  readonly #port: MessagePort;
  readonly #signal: Int32Array;
  #closed = false;

  /**
   * Connects to the database at `url` (a `postgres://` URL), blocking until connected.
   * With `readOnly`, every transaction of the session is read-only.
   *
   * @throws StoreError when the server refuses or cannot be reached
   */
  constructor(url: string, options: { readOnly?: boolean } = {}) {
    const signal = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const { port1, port2 } = new MessageChannel();
    this.#signal = new Int32Array(signal);
    this.#port = port1;
    const workerData: ClientThreadData = {
      url,
      readOnly: options.readOnly ?? false,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      signal,
      port: port2,
    };
    this.#thread = startTypeScriptWorker(THREAD_URL, { workerData, transferList: [port2] });
    // Neither keeps the process alive: a store left open does not either with SQLite.
    this.#thread.unref();
    this.#port.unref();
    try {
      this.#await(CONNECT_TIMEOUT_MS);
    } catch (error) {
      this.#abandon();
      throw new StoreError(`cannot connect to ${redact(url)}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /**
   * Runs `sql` with `params` (`$1`, `$2`, …) as one statement; without `params`, runs one or more
   * statements and returns the last one's result. With `reconnect` (no transaction under way),
   * a connection the server lost is replaced first.
   *
   * @throws StoreError with the server's message and code when the statement fails, or when the
   *   connection is lost or closed
   */
  query(sql: string, params: unknown[] | undefined, options: { reconnect: boolean }): QueryResult {
    if (this.#closed) throw new StoreError('the store is closed');
    try {
      return this.#request({ sql, ...(params === undefined ? {} : { params }), reconnect: options.reconnect }, STATEMENT_TIMEOUT_MS + 5_000);
    } catch (error) {
      if (error instanceof PostgresError) {
        throw new StoreError(error.code === undefined ? error.message : `${error.message} (${error.code})`, { cause: error });
      }
      throw error;
    }
  }

  /** Ends the connection and its thread; the client cannot be used afterwards. */
  close(): void {
    if (this.#closed) return;
    try {
      this.#request({ close: true }, 5_000);
    } finally {
      this.#abandon();
    }
  }

  #request(request: Request, timeoutMs: number): QueryResult {
    Atomics.store(this.#signal, 0, PENDING);
    this.#port.postMessage(request);
    return this.#await(timeoutMs);
  }

  /** Blocks until the thread answers, and returns its answer's result. */
  #await(timeoutMs: number): QueryResult {
    const deadline = performance.now() + timeoutMs;
    // A wake-up alone proves nothing: the thread's notify for the previous answer may arrive late,
    // during this wait. The answer is in once the thread has set the signal, after posting it.
    while (Atomics.load(this.#signal, 0) === PENDING) {
      const left = deadline - performance.now();
      if (left <= 0 || (Atomics.wait(this.#signal, 0, PENDING, left) === 'timed-out' && Atomics.load(this.#signal, 0) === PENDING)) {
        // The connection's state is unknown from here on: nothing more may run on it.
        this.#abandon();
        throw new StoreError(`PostgreSQL did not answer within ${timeoutMs / 1000} s; the connection is closed`);
      }
    }
    const answer = receiveMessageOnPort(this.#port)?.message as Answer | undefined;
    if (answer === undefined) throw new StoreError('the PostgreSQL connection thread answered nothing');
    if (!answer.ok) throw new PostgresError(answer.message, answer.code);
    return answer.result;
  }

  #abandon(): void {
    this.#closed = true;
    this.#port.close();
    void this.#thread.terminate();
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the PostgreSQL server';
  }
}
