/**
 * The bot's lease on its database: taken when it starts serving, renewed by a heartbeat, released
 * when it closes. `lstm-bot restore` refuses to replace a database that a bot holds, and a bot
 * does not start on a database being restored.
 *
 * @module
 */
import type { Logger } from '../log.ts';
import { LEASE_HEARTBEAT_MS, type Store } from '../store/index.ts';

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
