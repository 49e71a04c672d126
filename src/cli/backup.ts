/**
 * `lstm-bot backup FILE` and `lstm-bot restore FILE`: an online copy of the database while the bot
 * runs, and putting such a copy back while no bot does.
 *
 * @module
 */
import { openStore, restoreStore } from '../store/index.ts';

type Print = (text: string) => void;

const megabytes = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** Copies the database at `dbPath` to `file`, whatever the bot writes meanwhile. */
export async function runBackupCommand(dbPath: string, file: string, print: Print): Promise<number> {
  const started = performance.now();
  // An existing database only: backing up a path mistyped would create an empty one.
  const store = openStore(dbPath, { mustExist: true });
  try {
    const report = await store.backup(file);
    print(`backed up ${dbPath} to ${report.file} (${megabytes(report.bytes)}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  } finally {
    store.close();
  }
}

/** Replaces the database at `dbPath` with the backup `file`, unless a bot holds it. */
export async function runRestoreCommand(dbPath: string, file: string, print: Print): Promise<number> {
  const report = await restoreStore(dbPath, file);
  print(`restored ${dbPath} from ${file}\n`);
  if (report.replaced !== null) print(`the database it replaced is kept as ${report.replaced}\n`);
  return 0;
}
