/** The bot's persistent store: the only module that speaks SQL. */
export { openStore, Store, type OpenStoreOptions } from './store.ts';
export { DEFAULT_KEEP_VERSIONS } from './models.ts';
export { DEFAULT_FULL_RUN_PATIENCE_MS, DEFAULT_STALE_RUN_MS } from './runs.ts';
export { StoreError } from './errors.ts';
export type * from './types.ts';
