/** The bot's persistent store: the only module that speaks SQL. */
export { openStore, Store, DEFAULT_KEEP_VERSIONS, DEFAULT_STALE_RUN_MS, type OpenStoreOptions } from './store.ts';
export { StoreError } from './errors.ts';
export type * from './types.ts';
