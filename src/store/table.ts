import type { Database as Connection } from 'better-sqlite3';

/**
 * The base of the store's table classes. Each prepares its statements in field initializers, next
 * to the methods that run them; those initializers run once the connection is set here.
 *
 * @internal
 */
export abstract class Table {
  constructor(protected readonly db: Connection) {}
}
