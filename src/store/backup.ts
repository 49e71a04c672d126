/**
 * Copies of the database made while it is in use, with SQLite's online backup: the copy is the
 * database as of one moment, whatever other connections (the bot, its training workers) write
 * meanwhile.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Connection } from 'better-sqlite3';
import { errorMessage } from '../errors.ts';
import { StoreError } from './errors.ts';
import { migrations } from './migrations.ts';

/**
 * Pages copied per step (4 MiB with SQLite's default page size). The backup yields to the event
 * loop between steps, so a bot backing itself up stays responsive; a write by another connection
 * restarts the copy at the next step, so steps must not be so small that a busy bot never lets a
 * large database finish.
 */
const PAGES_PER_STEP = 1024;

/** What a finished backup holds. */
export interface BackupReport {
  file: string;
  bytes: number;
  pages: number;
}

/**
 * Copies the database of `db` to `file`, consistent as of one moment, as a self-contained file
 * (no `-wal` beside it) whose integrity is checked. The copy is written beside `file` under a
 * temporary name and renamed into place, so `file` is never a half-written backup.
 *
 * @throws StoreError when `file` exists, its folder does not, or the copy fails its check
 */
export async function backupDatabase(db: Connection, file: string): Promise<BackupReport> {
  const target = path.resolve(file);
  if (fs.existsSync(target)) throw new StoreError(`${file} already exists; choose a new file name for the backup`);
  if (!fs.existsSync(path.dirname(target))) throw new StoreError(`the folder of ${file} does not exist`);
  const partial = `${target}.partial-${process.pid}`;
  try {
    const { totalPages } = await db.backup(partial, { progress: () => PAGES_PER_STEP });
    const copy = new Database(partial);
    try {
      // The source is in WAL mode and so is a page-for-page copy: make it one file.
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new StoreError(`the backup failed its integrity check: ${String(check)}`);
    } finally {
      copy.close();
    }
    fs.renameSync(partial, target);
    return { file: target, bytes: fs.statSync(target).size, pages: totalPages };
  } catch (error) {
    fs.rmSync(partial, { force: true });
    if (error instanceof StoreError) throw error;
    throw new StoreError(`the backup to ${file} failed: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * Opens `file` as a backup to restore: a SQLite database that passes its integrity check, with a
 * schema this code can open (an older one is migrated when the bot next opens it).
 *
 * @throws StoreError saying what is wrong with the file
 */
export function openBackup(file: string): Connection {
  let db: Connection | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StoreError(`${file} is damaged: ${String(check)}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    const latest = migrations.at(-1)?.version ?? 0;
    if (version < 1 || version > latest) {
      throw new StoreError(`${file} is not a backup this version can restore (schema ${version}, this code reads 1 to ${latest})`);
    }
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof StoreError) throw error;
    const code = (error as { code?: unknown }).code;
    const reason = code === 'SQLITE_CANTOPEN' ? 'no such file' : code === 'SQLITE_NOTADB' ? 'not a SQLite database' : errorMessage(error);
    throw new StoreError(`cannot restore from ${file}: ${reason}`, { cause: error });
  }
}
