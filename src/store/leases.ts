/**
 * The `process_leases` table: which processes hold the database, so that an operation that must
 * have it alone (restoring a backup) can tell whether a bot is running on it.
 *
 * A lease names its process like a training run's owner (`host/pid/nonce`) and is renewed by a
 * heartbeat. It counts as held while its process is not known to have ended (same host: its pid
 * is gone or reused) and its heartbeat is recent, so a process killed without releasing its lease
 * stops counting at once on its own host, and after {@link LEASE_STALE_MS} elsewhere.
 *
 * @module
 */
import { StoreError } from './errors.ts';
import { PROCESS_RUN_OWNER, runOwnerHasEnded } from './run-owner.ts';
import { Table } from './table.ts';

/** What a process holds the database for: serving (the bot), or having it alone (a restore). */
export type LeaseRole = 'bot' | 'exclusive';

/** A lease as stored. */
export interface ProcessLease {
  /** `host/pid/nonce`, as {@link PROCESS_RUN_OWNER}. */
  owner: string;
  role: LeaseRole;
  acquiredAt: number;
  heartbeatAt: number;
}

/** How often a holder renews its lease. */
export const LEASE_HEARTBEAT_MS = 30_000;

/** How old a lease's heartbeat may get before the lease stops counting: a few missed beats. */
export const LEASE_STALE_MS = 4 * LEASE_HEARTBEAT_MS;

interface LeaseRow {
  owner: string;
  role: LeaseRole;
  acquired_at: number;
  heartbeat_at: number;
}

const toLease = (row: LeaseRow): ProcessLease => ({ owner: row.owner, role: row.role, acquiredAt: row.acquired_at, heartbeatAt: row.heartbeat_at });

/** @internal the store's lease statements; use {@link Store}. */
export class LeaseTable extends Table {
  readonly #all = this.db.prepare<[], LeaseRow>('SELECT owner, role, acquired_at, heartbeat_at FROM process_leases ORDER BY acquired_at');
  readonly #delete = this.db.prepare<[string], unknown>('DELETE FROM process_leases WHERE owner = ?');
  readonly #insert = this.db.prepare<[string, LeaseRole, number, number], unknown>(
    `INSERT INTO process_leases (owner, role, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (owner) DO UPDATE SET role = excluded.role, heartbeat_at = excluded.heartbeat_at`,
  );

  /** Leases held now by other processes (dropping those whose holder has ended or gone silent). */
  #othersHolding(now: number): ProcessLease[] {
    const held: ProcessLease[] = [];
    for (const lease of this.#all.all().map(toLease)) {
      if (lease.owner === PROCESS_RUN_OWNER) continue;
      if (runOwnerHasEnded(lease.owner) || now - lease.heartbeatAt > LEASE_STALE_MS) this.#delete.run(lease.owner);
      else held.push(lease);
    }
    return held;
  }

  /**
   * Takes a lease for this process, in one transaction with the check that nothing holds one
   * that conflicts: a `bot` lease conflicts with an `exclusive` one, an `exclusive` lease with any.
   * Taking it again renews it.
   *
   * @throws StoreError naming the holder when a conflicting lease is held
   */
  acquireLease(role: LeaseRole): ProcessLease {
    return this.db.transaction((): ProcessLease => {
      const now = Date.now();
      const conflict = this.#othersHolding(now).find((lease) => role === 'exclusive' || lease.role === 'exclusive');
      if (conflict !== undefined) {
        const what = conflict.role === 'exclusive' ? 'an operation that needs it alone (a restore)' : 'a running bot';
        throw new StoreError(`the database is in use by ${what}: process ${conflict.owner}, seen ${Math.round((now - conflict.heartbeatAt) / 1000)} s ago`);
      }
      this.#insert.run(PROCESS_RUN_OWNER, role, now, now);
      return { owner: PROCESS_RUN_OWNER, role, acquiredAt: now, heartbeatAt: now };
    }).immediate();
  }

  readonly #renew = this.db.prepare<[number, string], unknown>('UPDATE process_leases SET heartbeat_at = ? WHERE owner = ?');

  /** Renews this process's lease; false when it holds none (it was released, or found stale and dropped). */
  renewLease(): boolean {
    return this.#renew.run(Date.now(), PROCESS_RUN_OWNER).changes > 0;
  }

  /** Releases this process's lease, if it holds one. */
  releaseLease(): void {
    this.#delete.run(PROCESS_RUN_OWNER);
  }

  readonly #clear = this.db.prepare<[], unknown>('DELETE FROM process_leases');

  /** Forgets every lease: a restored copy carries the leases of the processes that held its source. */
  clearLeases(): void {
    this.#clear.run();
  }
}
