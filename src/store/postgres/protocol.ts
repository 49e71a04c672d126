import type { MessagePort } from 'node:worker_threads';

/**
 * Messages between a {@link SyncPostgresClient} and its thread.
 *
 * @module
 */

/** What the thread is given when it starts. */
export interface ClientThreadData {
  url: string;
  readOnly: boolean;
  /** The server cancels any statement running longer, lock waits included. */
  statementTimeoutMs: number;
  /** One Int32: {@link PENDING} while a request is under way, {@link ANSWERED} once answered. */
  signal: SharedArrayBuffer;
  port: MessagePort;
}

export const PENDING = 0;
export const ANSWERED = 1;

/** A statement to run: with `params`, one statement; without, any number of them. */
export interface QueryRequest {
  sql: string;
  params?: unknown[];
  /** Whether a lost connection may be replaced to run it: no transaction is under way. */
  reconnect: boolean;
}

/** A request: a statement, or the end of the connection. */
export type Request = QueryRequest | { close: true };

/** Rows as arrays, in the order of `fields`. */
export interface QueryResult {
  fields: string[];
  rows: unknown[][];
  rowCount: number;
}

/** The thread's answer to the connection or to one request. */
export type Answer = { ok: true; result: QueryResult } | { ok: false; message: string; code?: string };
