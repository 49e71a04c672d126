/**
 * The bot's lease on its database: taken when it starts serving, renewed by a heartbeat, released
 * when it closes. `lstm-bot restore` refuses to replace a database that a bot holds, and a bot
 * does not start on a database being restored.
 *
 * @module
 */
import type { Logger } from '../log.ts';
import { LEASE_HEARTBEAT_MS, openStore, type Store } from '../store/index.ts';

/** A held lease. */
export interface DatabaseLease {
  /** Stops the heartbeat and gives the lease up. */
  release(): void;
}

/**
 * Takes the bot's lease and keeps it alive. A heartbeat that finds the lease gone (dropped as
 * stale while this process was suspended, say) takes it again.
 *
 * @throws StoreError when a restore holds the database
 */
export function holdDatabaseLease(store: Pick<Store, 'acquireLease' | 'renewLease' | 'releaseLease'>, logger: Logger): DatabaseLease {
  store.acquireLease('bot');
  const timer = setInterval(() => {
    try {
      if (!store.renewLease()) store.acquireLease('bot');
    } catch (error) {
      logger.warn({ err: error }, 'the database lease could not be renewed');
    }
  }, LEASE_HEARTBEAT_MS);
  // The heartbeat alone must not keep the process alive.
  timer.unref();
  return {
    release() {
      clearInterval(timer);
      store.releaseLease();
    },
  };
}

/**
 * Opens the store at `location` and, with `lease`, takes the bot's lease on it; the store is closed
 * again when the lease is refused.
 *
 * @throws StoreError when the store cannot be opened or a restore holds it
 */
export function openLeasedStore(location: string, logger: Logger, options: { lease: boolean }): { store: Store; lease: DatabaseLease | null } {
  const store = openStore(location);
  try {
    return { store, lease: options.lease ? holdDatabaseLease(store, logger) : null };
  } catch (error) {
    store.close();
    throw error;
  }
}
