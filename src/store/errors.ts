/**
 * Raised when the database cannot be used as this bot's store: the file is not a SQLite
 * database, the PostgreSQL server cannot be reached or fails a statement (its message and SQLSTATE
 * code then make this error's message), the schema is newer than this code, or a caller broke one
 * of the store's rules. The underlying driver error, if any, is kept as `cause`.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
