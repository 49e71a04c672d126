/**
 * The `models` table and its `model_payloads`: each guild's trained versions, at most one of them
 * serving. Payloads live apart so that reading which model serves never walks a weights blob.
 *
 * @module
 */
import type { Connection } from './connection.ts';
import { StoreError } from './errors.ts';
import type { GuildTable } from './guilds.ts';
import {
  MODEL_RECORD_COLUMNS,
  SELECT_MODELS_WITH_PAYLOADS,
  toBuffer,
  toJson,
  toModelRecord,
  toStoredModel,
  type ModelRecordRow,
  type ModelRow,
} from './rows.ts';
import { Table } from './table.ts';
import type { ModelInput, ModelRecord, ModelStatus, SaveModelOptions, StoredModel } from './types.ts';

/** Models kept per guild when `saveModel` is not told otherwise. */
export const DEFAULT_KEEP_VERSIONS = 5;

/** @internal the store's model statements; use {@link Store}. */
export class ModelTable extends Table {
  constructor(
    db: Connection,
    private readonly guilds: GuildTable,
  ) {
    super(db);
  }

  readonly #archiveServing = this.db.prepare<[string], unknown>(
    "UPDATE models SET status = 'archived' WHERE guild_id = ? AND status = 'serving'",
  );
  readonly #insert = this.db.prepare<
    {
      guildId: string;
      version: number;
      status: ModelStatus;
      hyperparameters: string;
      metrics: string;
      corpusSentences: number;
      corpusRevision: number;
      createdAt: number;
      note: string | null;
    },
    number
  >(
    `INSERT INTO models (guild_id, version, status, hyperparameters, metrics, corpus_sentences,
                         corpus_revision, created_at, note)
     VALUES (@guildId, @version, @status, @hyperparameters, @metrics, @corpusSentences,
             @corpusRevision, @createdAt, @note)
     RETURNING id`,
  ).pluck();
  readonly #insertPayload = this.db.prepare<{ modelId: number; topology: string; weights: Buffer; vocabulary: string }, unknown>(
    `INSERT INTO model_payloads (model_id, topology, weights, vocabulary)
     VALUES (@modelId, @topology, @weights, @vocabulary)`,
  );
  readonly #prune = this.db.prepare<{ guildId: string; keep: number; savedId: number }, unknown>(
    // The serving model and the one just saved always stay and use up part of `keep`; of
    // the others, only the newest that still fit are kept.
    `DELETE FROM models WHERE id IN (
       SELECT id FROM (SELECT id, row_number() OVER (ORDER BY version DESC) AS newness
                       FROM models
                       WHERE guild_id = @guildId AND status <> 'serving' AND id <> @savedId) AS others
       WHERE newness > @keep - (SELECT count(*) FROM models WHERE guild_id = @guildId
                                AND (status = 'serving' OR id = @savedId)))`,
  );

  /**
   * Stores a trained model as the guild's next version, in one transaction: optionally makes
   * it the serving model (archiving the previous one), then prunes the oldest non-serving
   * models beyond `keepVersions`.
   */
  saveModel(input: ModelInput, options: SaveModelOptions): { id: number; version: number } {
    if (options.promote && options.rejected) {
      throw new StoreError('a rejected model cannot be promoted');
    }
    const keepVersions = options.keepVersions ?? DEFAULT_KEEP_VERSIONS;
    if (!Number.isInteger(keepVersions) || keepVersions < 1) {
      throw new StoreError(`keepVersions must be a positive integer, got ${keepVersions}`);
    }
    const status: ModelStatus = options.promote
      ? 'serving'
      : options.rejected
        ? 'rejected'
        : 'archived';
    const payload = {
      topology: toJson(input.topology, 'topology'),
      weights: toBuffer(input.weights),
      vocabulary: toJson(input.vocabulary, 'vocabulary'),
    };
    const row = {
      guildId: input.guildId,
      status,
      hyperparameters: toJson(input.hyperparameters, 'hyperparameters'),
      metrics: toJson(input.metrics, 'metrics'),
      corpusSentences: input.corpusSentences,
      corpusRevision: input.corpusRevision,
      createdAt: Date.now(),
      note: input.note ?? null,
    };
    return this.db.transaction((): { id: number; version: number } => {
      this.guilds.ensureGuild(input.guildId);
      const version = this.guilds.nextModelVersion(input.guildId);
      if (options.promote) this.#archiveServing.run(input.guildId);
      if (options.promote && input.fromScratch === true) this.guilds.recordScratchModel(input.guildId, input.corpusRevision);
      const id = this.#insert.get({ ...row, version });
      if (id === undefined) throw new StoreError('model insert returned no id');
      this.#insertPayload.run({ modelId: id, ...payload });
      this.#prune.run({ guildId: input.guildId, keep: keepVersions, savedId: id });
      return { id, version };
    }).immediate();
  }

  readonly #serving = this.db.prepare<[string], ModelRow>(
    `${SELECT_MODELS_WITH_PAYLOADS} WHERE guild_id = ? AND status = 'serving'`,
  );

  /** The guild's serving model with its payloads, or undefined. */
  servingModel(guildId: string): StoredModel | undefined {
    const row = this.#serving.get(guildId);
    return row && toStoredModel(row);
  }

  readonly #servingRecord = this.db.prepare<[string], ModelRecordRow>(
    `SELECT ${MODEL_RECORD_COLUMNS} FROM models WHERE guild_id = ? AND status = 'serving'`,
  );

  /** Metadata of the guild's serving model, without loading its payloads. */
  servingModelInfo(guildId: string): ModelRecord | undefined {
    const row = this.#servingRecord.get(guildId);
    return row && toModelRecord(row);
  }

  readonly #byVersion = this.db.prepare<[string, number], ModelRow>(
    `${SELECT_MODELS_WITH_PAYLOADS} WHERE guild_id = ? AND version = ?`,
  );

  /** One version of a guild's model with its payloads, or undefined. */
  getModel(guildId: string, version: number): StoredModel | undefined {
    const row = this.#byVersion.get(guildId, version);
    return row && toStoredModel(row);
  }

  readonly #list = this.db.prepare<[string], ModelRecordRow>(
    `SELECT ${MODEL_RECORD_COLUMNS} FROM models WHERE guild_id = ? ORDER BY version DESC`,
  );

  /** Metadata of the guild's stored models, newest version first. */
  listModels(guildId: string): ModelRecord[] {
    return this.#list.all(guildId).map(toModelRecord);
  }

  readonly #recordByVersion = this.db.prepare<[string, number], ModelRecordRow>(
    `SELECT ${MODEL_RECORD_COLUMNS} FROM models WHERE guild_id = ? AND version = ?`,
  );
  readonly #setStatus = this.db.prepare<[ModelStatus, number], unknown>('UPDATE models SET status = ? WHERE id = ?');

  /**
   * Makes a stored version the serving one (rollback or roll forward); the previously serving
   * model becomes archived.
   * @returns the promoted model's metadata, or undefined when the version does not exist
   */
  promoteVersion(guildId: string, version: number): ModelRecord | undefined {
    return this.db.transaction((): ModelRecord | undefined => {
      const target = this.#recordByVersion.get(guildId, version);
      if (!target) return undefined;
      if (target.status !== 'serving') {
        this.#archiveServing.run(guildId);
        this.#setStatus.run('serving', target.id);
      }
      return toModelRecord({ ...target, status: 'serving' });
    }).immediate();
  }
}
