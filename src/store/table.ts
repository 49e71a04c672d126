import type { Connection, Dialect, DialectSql } from './connection.ts';
import { dialectOf } from './postgres/connection.ts';

/**
 * The base of the store's table classes. Each prepares its statements in field initializers, next
 * to the methods that run them; those initializers run once the connection is set here.
 *
 * @internal
 */
export abstract class Table {
  protected readonly dialect: Dialect;

  constructor(protected readonly db: Connection) {
    this.dialect = dialectOf(db);
  }

  /** The variant of a statement for this table's dialect, where SQLite and PostgreSQL differ. */
  protected sql(variants: DialectSql): string {
    return variants[this.dialect];
  }
}
