import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.ts';
import { migrate, migrations } from '../../src/store/migrations.ts';
import type { Migration } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/store.ts';
import { sentence, useTempStores } from './helpers.ts';

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

describe('openStore', () => {
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

  it('keeps data and applies nothing again when reopened', () => {
    const file = path.join(tempDir(), 'bot.sqlite');
    const first = open(file);
    first.addSentence(sentence('g1', 'u1', 'the cat sleeps'));
    first.close();

    const db = new Database(file);
    expect(migrate(db)).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({
      n: migrations.length,
    });
    db.close();
    expect(open(file).countSentences('g1')).toBe(1);
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

  it('refuses a schema newer than the code with a StoreError', () => {
    const file = path.join(tempDir(), 'bot.sqlite');
    open(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${latestVersion + 1}`);
    db.close();

    expect(() => openStore(file)).toThrow(StoreError);
    expect(() => openStore(file)).toThrow(/newer than this code/);
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

  it('sees writes of another open connection as soon as they commit', () => {
    const file = path.join(tempDir(), 'bot.sqlite');
    const writer = open(file);
    const reader = open(file);
    expect(reader.countSentences('g1')).toBe(0);
    writer.addSentence(sentence('g1', 'u1', 'fresh words here'));
    expect(reader.countSentences('g1')).toBe(1);
    expect(reader.corpusRevision('g1')).toBe(1);
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

describe('migrate', () => {
  const createNotes: Migration = {
    version: 1,
    name: 'notes',
    sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT;',
  };

  it('opens an up-to-date file read-only beside a writable connection, and nothing else', () => {
    const file = path.join(tempDir(), 'bot.sqlite');
    const writer = open(file);
    writer.addSentences([sentence('g', 'u1', 'the cat sleeps'), sentence('g', 'u2', 'a dog barks')]);
    const reader = openStore(file, { readOnly: true });
    try {
      expect(reader.file).toBe(file);
      expect(reader.corpusEntries('g').map((entry) => entry.tokens)).toEqual([['the', 'cat', 'sleeps'], ['a', 'dog', 'barks']]);
      expect(() => reader.addSentence(sentence('g', 'u1', 'no writes here'))).toThrow(/readonly/);
    } finally {
      reader.close();
    }
    expect(open(':memory:').file).toBeNull();

    expect(() => openStore(path.join(tempDir(), 'missing.sqlite'), { readOnly: true })).toThrow(StoreError);
    const stale = path.join(tempDir(), 'stale.sqlite');
    new Database(stale).close();
    expect(() => openStore(stale, { readOnly: true })).toThrow(StoreError);
  });

  it('applies only the steps newer than the database, in order', () => {
    const db = new Database(':memory:');
    expect(migrate(db, [createNotes])).toEqual([1]);
    const addTags: Migration = {
      version: 2,
      name: 'tags',
      sql: 'ALTER TABLE notes ADD COLUMN tags TEXT;',
    };
    expect(migrate(db, [createNotes, addTags])).toEqual([2]);
    expect(migrate(db, [createNotes, addTags])).toEqual([]);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('rolls a failing step back entirely', () => {
    const db = new Database(':memory:');
    const broken: Migration = {
      version: 1,
      name: 'half valid',
      sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY); CREATE TABLE oops (;',
    };
    expect(() => migrate(db, [broken])).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(),
    ).toEqual([]);
    db.close();
  });
});
