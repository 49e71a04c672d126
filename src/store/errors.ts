/**
 * Raised when the database cannot be used as this bot's store: the file is not a SQLite
 * database, its schema is newer than this code, or a caller broke one of the store's rules.
 * The underlying driver error, if any, is kept as `cause`.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
