/**
 * What the tables need of a database connection: prepared statements and transactions, in the
 * shape of better-sqlite3's API, which implements it directly. {@link PostgresConnection}
 * implements it over PostgreSQL, so each table is written once, in SQL both dialects accept
 * wherever they agree.
 *
 * @module
 */

/** The SQL dialect a connection speaks. */
export type Dialect = 'sqlite' | 'postgres';

/** What a write statement changed. */
export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/**
 * A prepared statement. Parameters are positional (`?`) or named (`@name`, bound from one
 * object); `pluck()` makes `get` and `all` return each row's first column.
 */
export interface Statement<P extends unknown[], R> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  pluck(toggle?: boolean): this;
}

/** A function a transaction runs (typed as better-sqlite3 types it). */
export type TransactionFunction = (...args: any[]) => unknown;
/** The parameters of a {@link TransactionFunction}. */
export type ArgumentTypes<F extends TransactionFunction> = F extends (...args: infer A) => unknown ? A : never;

/**
 * A function wrapped in a transaction: calling it runs it in one (a savepoint when already in
 * one), committing when it returns and rolling back when it throws.
 */
export interface Transaction<F extends TransactionFunction> {
  (...args: ArgumentTypes<F>): ReturnType<F>;
  /**
   * Runs it holding the database's write lock from the start, so that what it reads cannot
   * change before it writes: every such transaction waits for the one before to end.
   */
  immediate(...args: ArgumentTypes<F>): ReturnType<F>;
}

/** A connection the tables run their statements on. */
export interface Connection {
  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): P extends unknown[] ? Statement<P, R> : Statement<[P], R>;
  transaction<F extends TransactionFunction>(fn: F): Transaction<F>;
  /** Runs one or more statements without parameters. */
  exec(sql: string): unknown;
}

/** SQL for each dialect, where they differ. */
export type DialectSql = Record<Dialect, string>;
