import type { Database } from 'better-sqlite3';
import { StoreError } from './errors.ts';

/** One schema step. Steps are applied in order, each in its own transaction, exactly once. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema history. Append new steps; never edit a released one, since databases in the field
 * have already applied it. Tables are STRICT so that a snowflake passed as a number, or any
 * other type slip, fails loudly instead of being silently converted.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'guilds, sentences, models, training runs',
    sql: `
      CREATE TABLE guilds (
        id TEXT PRIMARY KEY,
        corpus_revision INTEGER NOT NULL DEFAULT 0 CHECK (corpus_revision >= 0),
        -- Versions are never reused, even when the newest model has been pruned.
        last_model_version INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE sentences (
        id INTEGER PRIMARY KEY,
        guild_id TEXT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
        channel_id TEXT,
        author_id TEXT NOT NULL,
        text TEXT NOT NULL,
        tokens TEXT NOT NULL CHECK (json_valid(tokens) AND json_type(tokens) = 'array'),
        dedupe_key TEXT NOT NULL CHECK (dedupe_key <> ''),
        source TEXT NOT NULL CHECK (source IN ('discord', 'console', 'import')),
        interaction_id TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (guild_id, dedupe_key)
      ) STRICT;
      -- Both indexes end with the implicit rowid, so they also serve "ORDER BY id".
      CREATE INDEX sentences_by_guild ON sentences (guild_id);
      CREATE INDEX sentences_by_author ON sentences (guild_id, author_id);

      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        guild_id TEXT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
        version INTEGER NOT NULL CHECK (version >= 1),
        status TEXT NOT NULL CHECK (status IN ('serving', 'archived', 'rejected')),
        topology TEXT NOT NULL CHECK (json_valid(topology)),
        weights BLOB NOT NULL,
        vocabulary TEXT NOT NULL CHECK (json_valid(vocabulary)),
        hyperparameters TEXT NOT NULL CHECK (json_valid(hyperparameters)),
        metrics TEXT NOT NULL CHECK (json_valid(metrics)),
        corpus_sentences INTEGER NOT NULL CHECK (corpus_sentences >= 0),
        corpus_revision INTEGER NOT NULL CHECK (corpus_revision >= 0),
        created_at INTEGER NOT NULL,
        note TEXT,
        UNIQUE (guild_id, version)
      ) STRICT;
      CREATE UNIQUE INDEX models_one_serving_per_guild
        ON models (guild_id) WHERE status = 'serving';

      CREATE TABLE training_runs (
        id INTEGER PRIMARY KEY,
        guild_id TEXT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
        status TEXT NOT NULL
          CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        kind TEXT NOT NULL CHECK (kind IN ('full', 'incremental')),
        "trigger" TEXT NOT NULL CHECK ("trigger" IN ('schedule', 'command', 'cli')),
        requested_by TEXT,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        progress TEXT CHECK (progress IS NULL OR json_valid(progress)),
        error TEXT,
        model_id INTEGER REFERENCES models (id) ON DELETE SET NULL,
        summary TEXT CHECK (summary IS NULL OR json_valid(summary))
      ) STRICT;
      -- One job per guild, even with several connections racing to enqueue.
      CREATE UNIQUE INDEX training_runs_one_active_per_guild
        ON training_runs (guild_id) WHERE status IN ('queued', 'running');
      CREATE INDEX training_runs_by_guild ON training_runs (guild_id);
      CREATE INDEX training_runs_queue ON training_runs (created_at) WHERE status = 'queued';
      CREATE INDEX training_runs_by_model ON training_runs (model_id) WHERE model_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'training run owner and heartbeat',
    sql: `
      -- The process working on a running run, and when it last showed signs of life: a process
      -- starting up fails only the runs nobody works on any more.
      ALTER TABLE training_runs ADD COLUMN owner TEXT;
      ALTER TABLE training_runs ADD COLUMN heartbeat_at INTEGER;
    `,
  },
  {
    version: 3,
    name: 'model payloads apart from model metadata',
    sql: `
      -- A row's columns are stored in order, and those after a multi-megabyte blob are reached
      -- only by walking its overflow pages: every /predict asks which model serves, and that read
      -- took about 10 ms with the weights in the same row.
      CREATE TABLE model_payloads (
        model_id INTEGER PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
        topology TEXT NOT NULL CHECK (json_valid(topology)),
        weights BLOB NOT NULL,
        vocabulary TEXT NOT NULL CHECK (json_valid(vocabulary))
      ) STRICT;
      INSERT INTO model_payloads (model_id, topology, weights, vocabulary)
        SELECT id, topology, weights, vocabulary FROM models;
      ALTER TABLE models DROP COLUMN topology;
      ALTER TABLE models DROP COLUMN weights;
      ALTER TABLE models DROP COLUMN vocabulary;
    `,
  },
  {
    version: 4,
    name: 'process leases',
    sql: `
      -- The processes that hold the database (a running bot, a restore), each renewed by a
      -- heartbeat: a restore refuses to replace a database that a live bot holds.
      CREATE TABLE process_leases (
        owner TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('bot', 'exclusive')),
        acquired_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'removals a model trained from scratch has not yet left out',
    sql: `
      -- A removed sentence leaves the serving LSTM (the 3-gram is counted again at once) only when
      -- a model trained from scratch on a corpus without it is promoted; the scheduler runs such a
      -- retrain when one is due rather than at every removal. The corpus revision of the latest removal, and the revision the
      -- latest promoted model trained from scratch read.
      ALTER TABLE guilds ADD COLUMN removal_revision INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE guilds ADD COLUMN scratch_revision INTEGER NOT NULL DEFAULT 0;
    `,
  },
];

const HISTORY_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT
`;

/**
 * Brings the schema up to the newest migration. `PRAGMA user_version` is the authoritative
 * schema version (readable without any table); `schema_migrations` keeps a readable history.
 * Each step re-reads the version inside an IMMEDIATE transaction, so two processes opening
 * the same file at once cannot both apply it.
 *
 * @returns the versions applied by this call (empty when the schema was already current)
 * @throws StoreError when the database was written by a newer version of the code
 */
export function migrate(db: Database, steps: readonly Migration[] = migrations): number[] {
  const latest = steps.at(-1)?.version ?? 0;
  const applied: number[] = [];
  const readVersion = (): number => db.pragma('user_version', { simple: true }) as number;
  const assertKnown = (version: number): void => {
    if (version > latest) {
      throw new StoreError(
        `database schema version ${version} is newer than this code supports (${latest}); ` +
          'upgrade the bot before opening this database',
      );
    }
  };

  assertKnown(readVersion());
  for (const step of steps) {
    db.transaction(() => {
      const current = readVersion();
      assertKnown(current);
      if (current >= step.version) return;
      db.exec(HISTORY_TABLE);
      db.exec(step.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        step.version,
        step.name,
        Date.now(),
      );
      // PRAGMA cannot take bound parameters; the version is an integer from this file.
      db.pragma(`user_version = ${step.version}`);
      applied.push(step.version);
    }).immediate();
  }
  return applied;
}

/**
 * Throws unless every step has been applied: a read-only connection cannot apply them, so it
 * only opens a database that a writable connection has brought up to date.
 */
export function assertMigrated(db: Database, steps: readonly Migration[] = migrations): void {
  const latest = steps.at(-1)?.version ?? 0;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== latest) {
    throw new StoreError(`database schema version ${version} is not the version this code uses (${latest})`);
  }
}
