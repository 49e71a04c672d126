/**
 * `lstm-bot backup` while the bot trains, `lstm-bot restore` refused while a bot holds the
 * database and done once it stopped, and the leases behind that refusal.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/create-app.ts';
import { scheduleBackups } from '../../src/app/scheduled-backup.ts';
import { importLines } from '../../src/app/corpus-import.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { LEASE_STALE_MS, openStore } from '../../src/store/index.ts';
import type { RunProgress } from '../../src/training/types.ts';

const folders: string[] = [];
const apps: App[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

function folder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-backup-'));
  folders.push(dir);
  return dir;
}

/**
 * The bot as `npm start` runs it (schedule on, so it holds the database), on `dbPath`. Its
 * trainings run until stopped: no early stopping, more epochs than a test waits for.
 */
async function startApp(dbPath: string): Promise<App> {
  const config = loadConfig({ DB_PATH: dbPath, RETRAIN_INTERVAL_MINUTES: '600', RETRAIN_MIN_CHANGES: '100000' });
  const job = { hyperparameters: { maxEpochs: 100_000, validationFraction: 0 } };
  const app = await createApp(config, createLogger({ level: 'silent' }), { schedule: true, training: { job } });
  apps.push(app);
  return app;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `lstm-bot` as the operator does, in a process of its own beside the bot. */
function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/lstm-bot.js', ...argv], { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: '' } }, (error, out, err) => {
      resolve({ code: error === null ? 0 : Number(error.code), out, err });
    });
  });
}

const SENTENCES = Array.from({ length: 120 }, (_, index) => `sentence ${index % 17} about topic ${index % 11} and item ${index}`);

describe('lstm-bot backup and restore', () => {
  it('backs up a database while a training writes to it, and the copy opens with everything committed before', async () => {
    const dir = folder();
    const dbPath = path.join(dir, 'bot.sqlite');
    const app = await startApp(dbPath);
    importLines(app.store, 'g', SENTENCES, { authorId: 'import', source: 'import' });
    const handle = app.training.requestRetrain('g', { full: true, requestedBy: 'test' });
    await new Promise<RunProgress>((resolve) => handle.onProgress((progress) => progress.phase === 'training' && resolve(progress)));

    const backupFile = path.join(dir, 'copy.sqlite');
    const backup = await cli('backup', backupFile, '--db', dbPath);
    expect(backup).toMatchObject({ code: 0, err: '' });
    expect(backup.out).toMatch(/^backed up .*bot\.sqlite to .*copy\.sqlite \(\d+\.\d MB\) in \d+\.\d s\n$/);
    expect(app.store.getRun(handle.runId)?.status).toBe('running');
    await app.close();

    // One self-contained file, consistent as of the moment it was taken: the run still running,
    // no model yet.
    expect(fs.existsSync(`${backupFile}-wal`)).toBe(false);
    const copy = openStore(backupFile, { readOnly: true });
    try {
      expect(copy.countSentences('g')).toBe(SENTENCES.length);
      expect(copy.getRun(handle.runId)?.status).toBe('running');
      expect(copy.listModels('g')).toEqual([]);
    } finally {
      copy.close();
    }
  }, 120_000);

  it('refuses to overwrite a file or to back up a database that does not exist', async () => {
    const dir = folder();
    const dbPath = path.join(dir, 'bot.sqlite');
    openStore(dbPath).close();
    fs.writeFileSync(path.join(dir, 'taken.sqlite'), 'precious');
    expect(await cli('backup', path.join(dir, 'taken.sqlite'), '--db', dbPath)).toMatchObject({ code: 1, err: expect.stringMatching(/already exists/) });
    expect(fs.readFileSync(path.join(dir, 'taken.sqlite'), 'utf8')).toBe('precious');
    expect(await cli('backup', path.join(dir, 'b.sqlite'), '--db', path.join(dir, 'missing.sqlite'))).toMatchObject({ code: 1, err: expect.stringMatching(/no database/) });
    expect(fs.existsSync(path.join(dir, 'missing.sqlite'))).toBe(false);
  });

  it('refuses to restore while a bot holds the database, and restores once it stopped', async () => {
    const dir = folder();
    const dbPath = path.join(dir, 'bot.sqlite');
    const backupFile = path.join(dir, 'monday.sqlite');
    const app = await startApp(dbPath);
    importLines(app.store, 'g', ['the cat sat', 'the dog ran'], { authorId: 'import', source: 'import' });
    expect((await cli('backup', backupFile, '--db', dbPath)).code).toBe(0);
    importLines(app.store, 'g', ['a sentence taught after the backup'], { authorId: 'import', source: 'import' });

    const refused = await cli('restore', backupFile, '--db', dbPath);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: the database is in use by a running bot: process .+\/\d+\/\w+, seen \d+ s ago\n$/);
    expect(app.store.countSentences('g')).toBe(3);

    await app.close();
    const restored = await cli('restore', backupFile, '--db', dbPath);
    expect(restored).toMatchObject({ code: 0, err: '' });
    const kept = /kept as (.+)\n$/.exec(restored.out)?.[1];
    expect(kept).toBeDefined();

    const store = openStore(dbPath);
    try {
      expect(store.countSentences('g')).toBe(2);
    } finally {
      store.close();
    }
    const previous = openStore(kept!, { readOnly: true });
    try {
      expect(previous.countSentences('g')).toBe(3);
    } finally {
      previous.close();
    }
    // The restored database carries no lease of the bot that held its source: a bot starts on it.
    const next = await startApp(dbPath);
    expect(next.store.countSentences('g')).toBe(2);
  }, 60_000);

  it('refuses to restore from a file that is not a backup', async () => {
    const dir = folder();
    const dbPath = path.join(dir, 'bot.sqlite');
    openStore(dbPath).close();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a database at all, just some text that is long enough');
    expect(await cli('restore', path.join(dir, 'notes.txt'), '--db', dbPath)).toMatchObject({ code: 1, err: expect.stringMatching(/not a SQLite database/) });
    expect(await cli('restore', path.join(dir, 'absent.sqlite'), '--db', dbPath)).toMatchObject({ code: 1, err: expect.stringMatching(/no such file/) });
  });

  it('ignores the lease of a bot that died or went silent, and honours one that is alive elsewhere', async () => {
    const dir = folder();
    const dbPath = path.join(dir, 'bot.sqlite');
    const backupFile = path.join(dir, 'b.sqlite');
    openStore(dbPath).close();
    expect((await cli('backup', backupFile, '--db', dbPath)).code).toBe(0);
    const writeLease = (owner: string, heartbeatAt: number): void => {
      const db = new Database(dbPath);
      db.prepare("INSERT INTO process_leases (owner, role, acquired_at, heartbeat_at) VALUES (?, 'bot', ?, ?)").run(owner, heartbeatAt, heartbeatAt);
      db.close();
    };
    // A pid that cannot exist on this host: that bot has ended, whatever its heartbeat says.
    writeLease(`${os.hostname()}/4194999/dead0000`, Date.now());
    expect((await cli('restore', backupFile, '--db', dbPath)).code).toBe(0);
    // Another host's bot, silent for longer than the lease lasts.
    writeLease('elsewhere/1234/quiet000', Date.now() - LEASE_STALE_MS - 1_000);
    expect((await cli('restore', backupFile, '--db', dbPath)).code).toBe(0);
    // Another host's bot with a fresh heartbeat: it cannot be checked from here, so it counts.
    writeLease('elsewhere/1234/alive000', Date.now());
    expect(await cli('restore', backupFile, '--db', dbPath)).toMatchObject({ code: 1, err: expect.stringMatching(/elsewhere\/1234\/alive000/) });
  });

  it('keeps the newest scheduled backups', async () => {
    const dir = folder();
    const store = openStore(path.join(dir, 'bot.sqlite'));
    const backups = scheduleBackups((file) => store.backup(file), { dir: path.join(dir, 'backups'), everyHours: 24, keep: 2 }, createLogger({ level: 'silent' }));
    try {
      const made = [];
      for (let index = 0; index < 3; index += 1) {
        importLines(store, 'g', [`sentence number ${index}`], { authorId: 'import', source: 'import' });
        made.push(path.basename((await backups.runOnce()).file));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(fs.readdirSync(path.join(dir, 'backups')).sort()).toEqual(made.slice(1));
      const newest = openStore(path.join(dir, 'backups', made[2]!), { readOnly: true });
      expect(newest.countSentences('g')).toBe(3);
      newest.close();
    } finally {
      await backups.stop();
      store.close();
    }
  });
});
