/**
 * The tables' {@link Connection} over PostgreSQL: better-sqlite3's placeholders (`?`, `@name`)
 * become PostgreSQL's (`$1`, …), and transactions become `BEGIN`/`COMMIT` on the connection, a
 * nested one a savepoint.
 *
 * @module
 */
import type { ArgumentTypes, Connection, Dialect, RunResult, Statement, Transaction, TransactionFunction } from '../connection.ts';
import { StoreError } from '../errors.ts';
import type { QueryResult } from './protocol.ts';
import { SyncPostgresClient } from './sync-client.ts';

/**
 * The key of the advisory lock that stands for SQLite's write lock (any fixed number: only this
 * store takes advisory locks on its database).
 */
const WRITE_LOCK_KEY = 5_172_021;

/**
 * A transaction that reads and then writes on what it read takes the write lock first, like
 * SQLite's BEGIN IMMEDIATE: such transactions run one after the other, each seeing what the one
 * before committed. Single-statement writes (claiming a run, a heartbeat) do not wait for it; row
 * locks keep each of them atomic.
 */
const BEGIN_WRITE = `BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY})`;
/** Other transactions only read, and read one snapshot, as in SQLite. */
const BEGIN_READ = 'BEGIN ISOLATION LEVEL REPEATABLE READ';

/** A statement's SQL with PostgreSQL placeholders, and what binds each of them. */
interface Translated {
  sql: string;
  /** The parameter names in `$n` order; null for positional `?` parameters. */
  names: string[] | null;
}

/**
 * Rewrites `?` and `@name` placeholders as `$n` (one number per distinct name), leaving string
 * literals, quoted identifiers and comments alone.
 */
export function toPostgresPlaceholders(sql: string): Translated {
  const names: string[] = [];
  let positional = 0;
  const text = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\?|@([A-Za-z_]\w*)/g, (token, name: string | undefined) => {
    if (token === '?') return `$${++positional}`;
    if (name === undefined) return token;
    const index = names.indexOf(name);
    return `$${index === -1 ? names.push(name) : index + 1}`;
  });
  if (positional > 0 && names.length > 0) throw new StoreError('a statement mixes ? and @name parameters');
  return { sql: text, names: names.length > 0 ? names : null };
}

/** A connection to PostgreSQL with the synchronous API of better-sqlite3 that the tables use. */
export class PostgresConnection implements Connection {
  readonly #client: SyncPostgresClient;
  #depth = 0;

  /** @throws StoreError when the server cannot be reached or refuses the connection */
  constructor(url: string, options: { readOnly?: boolean } = {}) {
    this.#client = new SyncPostgresClient(url, options);
  }

  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): P extends unknown[] ? Statement<P, R> : Statement<[P], R> {
    return new PostgresStatement(this, toPostgresPlaceholders(sql)) as unknown as P extends unknown[] ? Statement<P, R> : Statement<[P], R>;
  }

  exec(sql: string): void {
    this.query(sql);
  }

  /** Runs a statement, or several without `params` (such as `VACUUM`, outside any transaction). */
  query(sql: string, params?: unknown[]): QueryResult {
    return this.#client.query(sql, params, { reconnect: this.#depth === 0 });
  }

  transaction<F extends TransactionFunction>(fn: F): Transaction<F> {
    const run =
      (begin: string) =>
      (...args: ArgumentTypes<F>): ReturnType<F> => {
        const savepoint = this.#depth > 0 ? `nested_${this.#depth}` : null;
        this.exec(savepoint === null ? begin : `SAVEPOINT ${savepoint}`);
        this.#depth += 1;
        try {
          const result = fn(...args) as ReturnType<F>;
          this.exec(savepoint === null ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
          return result;
        } catch (error) {
          try {
            this.exec(savepoint === null ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`);
          } catch {
            // The connection is gone, and the transaction with it; the first error says why.
          }
          throw error;
        } finally {
          this.#depth -= 1;
        }
      };
    return Object.assign(run(BEGIN_READ), { immediate: run(BEGIN_WRITE) });
  }

  close(): void {
    this.#client.close();
  }
}

/** A statement of a {@link PostgresConnection}; PostgreSQL parses it on each run. */
class PostgresStatement<P extends unknown[], R> implements Statement<P, R> {
  #pluck = false;

  constructor(
    private readonly connection: PostgresConnection,
    private readonly translated: Translated,
  ) {}

  run(...params: P): RunResult {
    return { changes: this.#query(params).rowCount };
  }

  get(...params: P): R | undefined {
    return this.#rows(params)[0];
  }

  all(...params: P): R[] {
    return this.#rows(params);
  }

  pluck(toggle = true): this {
    this.#pluck = toggle;
    return this;
  }

  #rows(params: P): R[] {
    const { fields, rows } = this.#query(params);
    if (this.#pluck) return rows.map((row) => row[0] as R);
    return rows.map((row) => Object.fromEntries(fields.map((field, index) => [field, row[index]])) as R);
  }

  #query(params: P): QueryResult {
    const { sql, names } = this.translated;
    if (names === null) return this.connection.query(sql, params.length > 0 ? params : undefined);
    const bound = params[0] as Record<string, unknown> | undefined;
    return this.connection.query(
      sql,
      names.map((name) => {
        if (bound === undefined || !(name in bound)) throw new StoreError(`missing named parameter "${name}"`);
        return bound[name];
      }),
    );
  }
}

/** The dialect `db` speaks. */
export function dialectOf(db: Connection): Dialect {
  return db instanceof PostgresConnection ? 'postgres' : 'sqlite';
}
