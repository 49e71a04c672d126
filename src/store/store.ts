/**
 * The store's entry point: {@link openStore} and the {@link Store} it returns. The tables' own
 * statements and methods live in `guilds.ts`, `sentences.ts`, `models.ts` and `runs.ts`; the
 * store exposes them and keeps the reads and writes that span tables.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { errorMessage } from '../errors.ts';
import { backupDatabase, openBackup, type BackupReport } from './backup.ts';
import type { Connection } from './connection.ts';
import { StoreError } from './errors.ts';
import { GuildTable } from './guilds.ts';
import { LeaseTable } from './leases.ts';
import { assertMigrated, migrate } from './migrations.ts';
import { ModelTable } from './models.ts';
import { PostgresConnection } from './postgres/connection.ts';
import { RunTable } from './runs.ts';
import { SentenceTable } from './sentences.ts';
import type { GuildStatsRecord, ModelInput, SaveModelOptions } from './types.ts';

/** How long a write waits for another connection's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * Open an existing, up-to-date database for reading only (e.g. from a worker thread that
   * only reads): nothing is created, migrated or written. Default false.
   */
  readOnly?: boolean;
  /**
   * Open an existing database only: a path that holds none is an error, not a new database. (A
   * PostgreSQL database always exists before the store connects to it.)
   */
  mustExist?: boolean;
}

/** Whether `location` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(location);
}

/**
 * Opens the store at `location`, applying pending schema migrations: a PostgreSQL database for a
 * `postgres://` or `postgresql://` URL (see {@link PostgresConnection}), else the SQLite file at
 * that path, created with its folder if needed, or an in-memory store for `':memory:'`. A SQLite
 * file gets WAL, foreign keys, secure deletion and a busy timeout.
 *
 * @throws StoreError when the file is not a SQLite database, the server cannot be reached, the
 * schema is newer than this code (or, read-only, not exactly this code's), or the database cannot
 * be opened at all
 */
export function openStore(location: string, options: OpenStoreOptions = {}): Store {
  return isPostgresUrl(location) ? openPostgres(location, options) : openSqlite(location, options);
}

function openPostgres(url: string, options: OpenStoreOptions): Store {
  const db = new PostgresConnection(url, { readOnly: options.readOnly ?? false });
  try {
    if (options.readOnly) assertMigrated(db);
    else migrate(db);
    return new Store(db, url);
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot open the store at ${url}: ${describe(error)}`, { cause: error });
  }
}

function openSqlite(file: string, options: OpenStoreOptions): Store {
  const inMemory = file === ':memory:';
  let db: SqliteDatabase | undefined;
  try {
    if (options.readOnly) {
      db = new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      assertMigrated(db);
      return new Store(db, file);
    }
    if (options.mustExist && !inMemory && !fs.existsSync(file)) throw new StoreError(`there is no database at ${file}`);
    if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    // Touch the file before changing anything, so a foreign file is reported as such.
    db.pragma('schema_version');
    if (!inMemory) {
      db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL loses no committed transaction on a process crash, only possibly
      // the last ones on power loss, and avoids an fsync per commit.
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    // Deleted sentences are overwritten with zeros instead of lingering in free pages: when a
    // member deletes their data it must really be gone from the file.
    db.pragma('secure_delete = ON');
    migrate(db);
    return new Store(db, inMemory ? null : file);
  } catch (error) {
    db?.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot open the store at ${file}: ${describe(error)}`, { cause: error });
  }
}

/** The driver's message with its SQLite code, which names the cause more precisely. */
function describe(error: unknown): string {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `${errorMessage(error)} (${code})` : errorMessage(error);
}

/** What the store offers of each table; the rest of a table's methods serve the store alone. */
const GUILD_METHODS = ['guildIds', 'corpusRevision', 'removalsPending'] as const satisfies readonly (keyof GuildTable)[];
const SENTENCE_METHODS = [
  'addSentence',
  'addSentences',
  'getSentence',
  'listSentences',
  'sentenceTexts',
  'countSentences',
  'sentenceCounts',
  'countContributors',
  'deleteSentence',
  'deleteSentencesByAuthor',
  'corpus',
  'corpusEntries',
  'presentSentenceIds',
  'searchSentences',
] as const satisfies readonly (keyof SentenceTable)[];
const MODEL_METHODS = ['saveModel', 'servingModel', 'servingModelInfo', 'getModel', 'listModels', 'promoteVersion'] as const satisfies readonly (keyof ModelTable)[];
const RUN_METHODS = [
  'enqueueRun',
  'claimNextRun',
  'enqueueClaimedRun',
  'updateRunProgress',
  'heartbeatRun',
  'finishRun',
  'getRun',
  'activeRun',
  'activeRunCounts',
  'latestRuns',
  'failInterruptedRuns',
  'failureStreak',
  'guildsNeedingRetrain',
  'lastFullRunAt',
] as const satisfies readonly (keyof RunTable)[];

const LEASE_METHODS = ['acquireLease', 'renewLease', 'releaseLease', 'clearLeases'] as const satisfies readonly (keyof LeaseTable)[];

/** The table methods {@link Store} exposes, documented where they are written. */
export interface Store
  extends Pick<GuildTable, (typeof GUILD_METHODS)[number]>,
    Pick<SentenceTable, (typeof SENTENCE_METHODS)[number]>,
    Pick<ModelTable, (typeof MODEL_METHODS)[number]>,
    Pick<RunTable, (typeof RUN_METHODS)[number]>,
    Pick<LeaseTable, (typeof LEASE_METHODS)[number]> {}

/**
 * The bot's persistent state: per-guild sentences, trained models and training runs, in a SQLite
 * file or a PostgreSQL database. Every method is synchronous and every multi-statement write is
 * one transaction. Several connections (processes, worker threads, machines on PostgreSQL) may
 * open the same database; writes that read before writing take the write lock up front
 * (IMMEDIATE) so they wait on each other rather than fail.
 */
export class Store {
  readonly #db: SqliteDatabase | PostgresConnection;
  readonly #connection: Connection;
  readonly #models: ModelTable;
  readonly #runs: RunTable;

  /**
   * Where the database is, for another connection (e.g. in a worker thread) to open it too: the
   * SQLite file or the PostgreSQL URL; null for an in-memory store, which only this connection
   * can see.
   */
  readonly location: string | null;

  /** @internal use {@link openStore} */
  constructor(db: SqliteDatabase | PostgresConnection, location: string | null) {
    this.#db = db;
    this.location = location;
    const connection: Connection = db;
    this.#connection = connection;
    const guilds = new GuildTable(connection);
    const sentences = new SentenceTable(connection, guilds);
    this.#models = new ModelTable(connection, guilds);
    this.#runs = new RunTable(connection, guilds);
    expose(this, guilds, GUILD_METHODS);
    expose(this, sentences, SENTENCE_METHODS);
    expose(this, this.#models, MODEL_METHODS);
    expose(this, this.#runs, RUN_METHODS);
    expose(this, new LeaseTable(connection), LEASE_METHODS);
  }

  /**
   * Makes the rows deleted so far physically go away. SQLite: copies the write-ahead log into the
   * database file and empties it (`wal_checkpoint(TRUNCATE)`): rows deleted are overwritten in the
   * file's pages (`secure_delete`), and this leaves no older copy of those pages in the log
   * either; never waits for other connections. PostgreSQL keeps no log file of this store's: it
   * vacuums `sentences`, which frees the space of deleted rows for reuse (it does not promise to
   * overwrite their bytes at once, nor does it rewrite its own write-ahead log), skipped when
   * another vacuum runs.
   *
   * @returns false when another SQLite connection still reads or writes an older state of the
   *   database (try again shortly); true once done, for an in-memory store, and on PostgreSQL.
   */
  checkpoint(): boolean {
    if (this.#db instanceof PostgresConnection) {
      // VACUUM cannot run in a transaction; the connection is outside one between calls.
      this.#db.query('VACUUM (SKIP_LOCKED) sentences');
      return true;
    }
    if (this.#db.memory) return true;
    this.#db.pragma('busy_timeout = 0');
    try {
      const [result] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return result?.busy === 0;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return false;
      throw error;
    } finally {
      this.#db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /**
   * Copies a SQLite database to `file` as of one moment, while this and other connections go on
   * writing (SQLite's online backup). A PostgreSQL database is backed up with `pg_dump`.
   *
   * @throws StoreError when `file` exists, its folder does not, the copy fails its check, or the
   *   store is on PostgreSQL
   */
  backup(file: string): Promise<BackupReport> {
    if (this.#db instanceof PostgresConnection) return Promise.reject(new StoreError(POSTGRES_BACKUP));
    return backupDatabase(this.#db, file);
  }

  /** Closes the connection; the store cannot be used afterwards. */
  close(): void {
    this.#db.close();
  }

  /** Counts, serving model, pending changes and runs of a guild, read in one snapshot. */
  stats(guildId: string): GuildStatsRecord {
    return this.#connection.transaction((): GuildStatsRecord => {
      const corpusRevision = this.corpusRevision(guildId);
      const servingModel = this.servingModelInfo(guildId);
      return {
        guildId,
        corpusRevision,
        sentences: this.countSentences(guildId),
        contributors: this.countContributors(guildId),
        servingModel,
        changesSinceModel: corpusRevision - (servingModel?.corpusRevision ?? 0),
        activeRun: this.activeRun(guildId),
        lastRun: this.latestRuns(guildId, 1)[0],
      };
    })();
  }

  /**
   * Stores a run's model and finishes the run as succeeded, in one transaction: a crash leaves
   * either both or neither. `summarize` builds the run's summary from the saved model's id and
   * version.
   * @throws StoreError, saving nothing, when the run is no longer active (e.g. another process
   * found it interrupted and queued it again)
   */
  finishRunWithModel(
    runId: number,
    input: ModelInput,
    options: SaveModelOptions,
    summarize: (saved: { id: number; version: number }) => unknown,
  ): { id: number; version: number } {
    return this.#connection.transaction((): { id: number; version: number } => {
      const saved = this.#models.saveModel(input, options);
      const finished = this.#runs.finishRun(runId, { status: 'succeeded', modelId: saved.id, summary: summarize(saved) });
      if (finished === undefined) throw new StoreError(`training run ${runId} is no longer active; its model was not saved`);
      return saved;
    }).immediate();
  }
}

/** Why a PostgreSQL store neither backs up nor restores itself. */
const POSTGRES_BACKUP =
  'the store is on PostgreSQL, which this bot does not back up or restore itself: use pg_dump and pg_restore';

/** What {@link restoreStore} did. */
export interface RestoreReport {
  /** Where the database it replaced was saved; null when there was none. */
  replaced: string | null;
}

/**
 * Replaces the SQLite database at `dbPath` with the backup at `backupFile`, first saving the current one
 * beside it (`<dbPath>.before-restore-<time>`). Refused while another process holds a lease on
 * the database (a running bot); a bot does not start while the restore holds its own.
 *
 * @throws StoreError when a bot holds the database, the file is not a backup this code can
 * restore, or `dbPath` is a PostgreSQL URL; nothing is changed then
 */
export async function restoreStore(dbPath: string, backupFile: string): Promise<RestoreReport> {
  if (isPostgresUrl(dbPath)) throw new StoreError(POSTGRES_BACKUP);
  const backup = openBackup(backupFile);
  try {
    const existed = fs.existsSync(dbPath);
    const live = openStore(dbPath);
    let replaced: string | null = null;
    try {
      live.acquireLease('exclusive');
      if (existed) {
        const stamp = new Date().toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 18);
        replaced = (await live.backup(`${dbPath}.before-restore-${stamp}`)).file;
      }
      // The destination stays locked from the copy's first page to its last: another connection
      // sees the old database or the restored one, never a mix.
      await backup.backup(path.resolve(dbPath));
    } finally {
      live.close();
    }
    // Brings an older backup's schema up to date, and forgets the leases of the processes that
    // held the database it was copied from.
    const restored = openStore(dbPath);
    try {
      restored.clearLeases();
    } finally {
      restored.close();
    }
    return { replaced };
  } finally {
    backup.close();
  }
}

/** Makes the named methods of a table methods of the store, bound to the table. */
function expose<T extends object>(store: Store, table: T, names: readonly (keyof T & string)[]): void {
  for (const name of names) {
    const method = table[name] as (...args: unknown[]) => unknown;
    Object.defineProperty(store, name, { value: method.bind(table), enumerable: true });
  }
}
