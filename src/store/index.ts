/** The bot's persistent store: the only module that speaks SQL. */
export { isPostgresUrl, openStore, restoreStore, Store, type OpenStoreOptions, type RestoreReport } from './store.ts';
export type { BackupReport } from './backup.ts';
export { LEASE_HEARTBEAT_MS, LEASE_STALE_MS, type LeaseRole } from './leases.ts';
export { DEFAULT_KEEP_VERSIONS } from './models.ts';
export { DEFAULT_FULL_RUN_PATIENCE_MS, DEFAULT_STALE_RUN_MS } from './runs.ts';
export { StoreError } from './errors.ts';
export type * from './types.ts';
