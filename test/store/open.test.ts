import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.ts';
import { migrate, migrations, schemaVersion } from '../../src/store/migrations.ts';
import type { Migration } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/store.ts';
import { describeEachBackend, sentence, useTempStores } from './helpers.ts';

const { tempDir, open } = useTempStores();
const latestVersion = migrations.at(-1)?.version ?? 0;

function readPragma(file: string, name: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma(name, { simple: true });
  } finally {
    db.close();
  }
}

describe('openStore on a SQLite file', () => {
  it('creates the parent folder and applies every migration once', () => {
    const file = path.join(tempDir(), 'nested', 'deeper', 'bot.sqlite');
    open(file).close();

    expect(fs.existsSync(file)).toBe(true);
    expect(readPragma(file, 'user_version')).toBe(latestVersion);
    const db = new Database(file, { readonly: true });
    const history = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
    db.close();
    expect(history).toEqual(migrations.map((m) => ({ version: m.version })));
  });

  it('uses WAL journaling with foreign keys enforced', () => {
    const file = path.join(tempDir(), 'bot.sqlite');
    open(file);
    // journal_mode=WAL is persistent in the file, so an independent connection sees it.
    expect(readPragma(file, 'journal_mode')).toBe('wal');

    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    const orphanRun = db.prepare(
      `INSERT INTO training_runs (guild_id, status, kind, "trigger", created_at)
       VALUES ('nowhere', 'queued', 'full', 'cli', 0)`,
    );
    expect(() => orphanRun.run()).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('works in memory', () => {
    const store = open(':memory:');
    expect(store.addSentence(sentence('g1', 'u1', 'a b c')).status).toBe('added');
    expect(store.countSentences('g1')).toBe(1);
  });

  it('refuses a file that is not a SQLite database with a StoreError', () => {
    const file = path.join(tempDir(), 'notes.sqlite');
    const content = 'these are plain notes, not a database\n'.repeat(200);
    fs.writeFileSync(file, content);

    expect(() => openStore(file)).toThrow(StoreError);
    expect(() => openStore(file)).toThrow(/not a database/);
    // The foreign file is left exactly as it was.
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
  });

  it('keeps committed writes when the process dies without closing the store', () => {
    const file = path.join(tempDir(), 'bot.sqlite');
    const storeModule = new URL('../../src/store/store.ts', import.meta.url).href;
    const script = `
      import { openStore } from ${JSON.stringify(storeModule)};
      const store = openStore(${JSON.stringify(file)});
      const tokens = ['kept', 'after', 'a', 'crash'];
      store.addSentence({ guildId: 'g1', channelId: null, authorId: 'u1', text: tokens.join(' '),
        tokens, dedupeKey: tokens.join(' '), source: 'console' });
      store.enqueueRun('g1', { kind: 'full', trigger: 'cli' });
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.signal, child.stderr).toBe('SIGKILL');
    // The writes are only in the write-ahead log: nothing checkpointed them into the main file.
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);

    const store = open(file);
    expect(store.corpus('g1')).toEqual({
      revision: 1,
      sentences: [['kept', 'after', 'a', 'crash']],
    });
    expect(store.activeRun('g1')?.trigger).toBe('cli');
  });

});

describe('Store.checkpoint', () => {
  it('empties the write-ahead log into the file, without waiting while another connection reads an older state', () => {
    const file = path.join(tempDir(), 'bot.sqlite');
    const store = open(file);
    const id = store.addSentence(sentence('g1', 'u1', 'a secret to forget'));
    const reader = new Database(file, { readonly: true });
    try {
      // An open read transaction pins the state before the removal.
      reader.prepare('BEGIN').run();
      reader.prepare('SELECT count(*) FROM sentences').get();
      expect(store.deleteSentence('g1', id.status === 'added' ? id.id : -1)).toBe(true);
      const started = performance.now();
      expect(store.checkpoint()).toBe(false);
      // Far below the store's busy timeout (5 s): a removal never stalls the bot on a reader.
      expect(performance.now() - started).toBeLessThan(2500);
      reader.prepare('COMMIT').run();
      expect(store.checkpoint()).toBe(true);
    } finally {
      reader.close();
    }
    expect(fs.statSync(`${file}-wal`).size).toBe(0);
    expect(fs.readFileSync(file).includes(Buffer.from('a secret to forget'))).toBe(false);
  });

  it('has nothing to do in memory', () => {
    const store = openStore(':memory:');
    expect(store.checkpoint()).toBe(true);
    store.close();
  });
});

describe('opening read-only', () => {
  it('refuses a file that does not exist or holds no store', () => {
    expect(open(':memory:').location).toBeNull();
    expect(() => openStore(path.join(tempDir(), 'missing.sqlite'), { readOnly: true })).toThrow(StoreError);
    const stale = path.join(tempDir(), 'stale.sqlite');
    new Database(stale).close();
    expect(() => openStore(stale, { readOnly: true })).toThrow(StoreError);
  });
});

describeEachBackend('opening a store', ({ backend, open, location, connect }) => {
  /** The tables of the database at `location`. */
  const tables = (db: ReturnType<typeof connect>): string[] =>
    db
      .prepare<[], string>(
        backend === 'sqlite'
          ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
          : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      )
      .pluck()
      .all();

  it('applies every migration once, keeps data and applies nothing again when reopened', () => {
    const database = location();
    const first = open(database);
    first.addSentence(sentence('g1', 'u1', 'the cat sleeps'));
    first.close();

    const db = connect(database);
    expect(schemaVersion(db)).toBe(latestVersion);
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(migrations.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: migrations.length });
    expect(open(database).countSentences('g1')).toBe(1);
  });

  it('sees writes of another open connection as soon as they commit', () => {
    const database = location();
    const writer = open(database);
    const reader = open(database);
    expect(reader.countSentences('g1')).toBe(0);
    writer.addSentence(sentence('g1', 'u1', 'fresh words here'));
    expect(reader.countSentences('g1')).toBe(1);
    expect(reader.corpusRevision('g1')).toBe(1);
  });

  it('refuses a schema newer than the code with a StoreError', () => {
    const database = location();
    open(database).close();
    const db = connect(database);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(latestVersion + 1, 'from the future', 0);
    if (backend === 'sqlite') db.exec(`PRAGMA user_version = ${latestVersion + 1}`);

    expect(() => openStore(database)).toThrow(StoreError);
    expect(() => openStore(database)).toThrow(/newer than this code/);
  });

  it('opens an up-to-date database read-only beside a writable connection, and nothing else', () => {
    const database = location();
    const writer = open(database);
    writer.addSentences([sentence('g', 'u1', 'the cat sleeps'), sentence('g', 'u2', 'a dog barks')]);
    const reader = open(database, { readOnly: true });
    expect(reader.location).toBe(database);
    expect(reader.corpusEntries('g').map((entry) => entry.tokens)).toEqual([['the', 'cat', 'sleeps'], ['a', 'dog', 'barks']]);
    expect(() => reader.addSentence(sentence('g', 'u1', 'no writes here'))).toThrow(/read-?only/i);
    expect(reader.countSentences('g')).toBe(2);

    const empty = location();
    if (backend === 'sqlite') new Database(empty).close();
    expect(() => openStore(empty, { readOnly: true })).toThrow(StoreError);
  });

  const createNotes: Migration = {
    version: 1,
    name: 'notes',
    sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT;',
    postgres: 'CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL);',
  };

  it('migrates: applies only the steps newer than the database, in order', () => {
    const db = connect(location());
    expect(migrate(db, [createNotes])).toEqual([1]);
    const addTags: Migration = {
      version: 2,
      name: 'tags',
      sql: 'ALTER TABLE notes ADD COLUMN tags TEXT;',
      postgres: 'ALTER TABLE notes ADD COLUMN tags TEXT;',
    };
    expect(migrate(db, [createNotes, addTags])).toEqual([2]);
    expect(migrate(db, [createNotes, addTags])).toEqual([]);
    expect(schemaVersion(db)).toBe(2);
  });

  it('migrates: rolls a failing step back entirely', () => {
    const db = connect(location());
    const broken: Migration = {
      version: 1,
      name: 'half valid',
      sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY); CREATE TABLE oops (;',
      postgres: 'CREATE TABLE notes (id BIGINT PRIMARY KEY); CREATE TABLE oops (;',
    };
    expect(() => migrate(db, [broken])).toThrow();
    expect(schemaVersion(db)).toBe(0);
    expect(tables(db).filter((name) => name !== 'schema_migrations')).toEqual([]);
  });
});
