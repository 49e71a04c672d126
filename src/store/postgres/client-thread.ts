/**
 * The thread behind a {@link SyncPostgresClient}: it holds one `pg` connection, runs each
 * statement posted on its port and, once the answer is posted, wakes the caller blocked on the
 * shared signal. The first answer is the connection's outcome.
 *
 * @module
 */
import { workerData } from 'node:worker_threads';
import pg from 'pg';
import { ANSWERED, type Answer, type ClientThreadData, type Request } from './protocol.ts';

const INT8_OID = 20;

const { url, readOnly, statementTimeoutMs, signal, port } = workerData as ClientThreadData;
const state = new Int32Array(signal);

/**
 * BIGINT columns (ids, millisecond times, counts) as numbers, like better-sqlite3 returns them;
 * a value a number cannot hold exactly is an error rather than a silently rounded id.
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`integer ${text} is beyond what a JavaScript number holds exactly`);
  return value;
}

/** A new connection to the server, not yet open. */
function newClient(): pg.Client {
  const created = new pg.Client({
    connectionString: url,
    statement_timeout: statementTimeoutMs,
    // A server gone silent (no reset from its host) is given up a little after the server itself
    // would have cancelled the statement.
    query_timeout: statementTimeoutMs + 2_000,
    connectionTimeoutMillis: 10_000,
    application_name: 'lstm-community-bot',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A connection lost between statements fails the next statement (or is replaced before it).
  const onLost = (): void => {
    // A replaced connection ending later is no news about the current one.
    if (client === created) lost = true;
  };
  created.on('error', onLost);
  created.on('end', onLost);
  return created;
}

async function connect(): Promise<void> {
  await client.connect();
  if (readOnly) await client.query('SET default_transaction_read_only = on');
}

let lost = false;
let client = newClient();

function answer(message: Answer): void {
  port.postMessage(message);
  Atomics.store(state, 0, ANSWERED);
  Atomics.notify(state, 0);
}

function failure(error: unknown): Answer {
  const { message, code } = error as { message?: unknown; code?: unknown };
  return { ok: false, message: typeof message === 'string' ? message : String(error), ...(typeof code === 'string' ? { code } : {}) };
}

async function run(request: Request): Promise<Answer> {
  if ('close' in request) {
    await client.end();
    return { ok: true, result: { fields: [], rows: [], rowCount: 0 } };
  }
  if (lost && request.reconnect) {
    // A server restarted, or a connection it ended: a statement outside any transaction (or one
    // that begins a transaction) runs on a new connection rather than failing until this process
    // restarts. Within a transaction it fails instead, and the transaction with it.
    void client.end().catch(() => undefined);
    client = newClient();
    await connect();
    lost = false;
  }
  const values = request.params?.map((value) => (value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value));
  let result: pg.QueryArrayResult | pg.QueryArrayResult[];
  try {
    // Without parameters the statement goes by the simple protocol, which also takes several.
    result = await client.query({ text: request.sql, ...(values === undefined ? {} : { values }), rowMode: 'array' });
  } catch (error) {
    // Anything but the server's refusal of the statement (a reset, a timeout) leaves the
    // connection in doubt: it is replaced before the next statement that may reconnect.
    if (!(error instanceof pg.DatabaseError)) lost = true;
    throw error;
  }
  // A string of several statements yields one result per statement; the caller reads the last.
  const last = Array.isArray(result) ? (result.at(-1) as pg.QueryArrayResult) : result;
  return { ok: true, result: { fields: last.fields.map((field) => field.name), rows: last.rows, rowCount: last.rowCount ?? 0 } };
}

port.on('message', (request: Request) => {
  run(request).then(answer, (error: unknown) => answer(failure(error))).finally(() => {
    if ('close' in request) port.close();
  });
});

try {
  await connect();
  answer({ ok: true, result: { fields: [], rows: [], rowCount: 0 } });
} catch (error) {
  answer(failure(error));
  port.close();
}
