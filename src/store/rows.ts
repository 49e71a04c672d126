/**
 * How records are stored: the rows the tables return, their column lists, and the mappers between
 * rows and the records of `types.ts`. JSON columns are exchanged as parsed values.
 *
 * @module
 */
import { StoreError } from './errors.ts';
import type { ModelRecord, ModelStatus, RunKind, RunStatus, RunTrigger, SentenceRecord, SentenceSource, StoredModel, TrainingRun } from './types.ts';

/** A row of `sentences`. */
export interface SentenceRow {
  id: number;
  guild_id: string;
  channel_id: string | null;
  author_id: string;
  text: string;
  tokens: string;
  dedupe_key: string;
  source: SentenceSource;
  interaction_id: string | null;
  created_at: number;
}

/** A row of `models`, with the size of its weights. */
export interface ModelRecordRow {
  id: number;
  guild_id: string;
  version: number;
  status: ModelStatus;
  hyperparameters: string;
  metrics: string;
  corpus_sentences: number;
  corpus_revision: number;
  weights_bytes: number;
  created_at: number;
  note: string | null;
}

/** A row of `models` joined with its `model_payloads`. */
export interface ModelRow extends ModelRecordRow {
  topology: string;
  weights: Buffer;
  vocabulary: string;
}

/** A row of `training_runs`. */
export interface RunRow {
  id: number;
  guild_id: string;
  status: RunStatus;
  kind: RunKind;
  trigger: RunTrigger;
  requested_by: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  progress: string | null;
  error: string | null;
  model_id: number | null;
  summary: string | null;
  owner: string | null;
  heartbeat_at: number | null;
}

/** The columns of a {@link SentenceRow}, in a statement's select list. */
export const SENTENCE_COLUMNS =
  'id, guild_id, channel_id, author_id, text, tokens, dedupe_key, source, interaction_id, ' +
  'created_at';
/** The columns of a {@link ModelRecordRow}; the weights' size is read from `model_payloads`. */
export const MODEL_RECORD_COLUMNS =
  'id, guild_id, version, status, hyperparameters, metrics, corpus_sentences, corpus_revision, ' +
  '(SELECT length(weights) FROM model_payloads WHERE model_id = models.id) AS weights_bytes, created_at, note';
/** Selects {@link ModelRow}s; add the WHERE clause. */
export const SELECT_MODELS_WITH_PAYLOADS = `SELECT ${MODEL_RECORD_COLUMNS}, topology, weights, vocabulary
  FROM models JOIN model_payloads ON model_id = models.id`;
/** The columns of a {@link RunRow}. */
export const RUN_COLUMNS =
  'id, guild_id, status, kind, "trigger", requested_by, created_at, started_at, finished_at, ' +
  'progress, error, model_id, summary, owner, heartbeat_at';

/** A value as stored in a JSON column. */
export function toJson(value: unknown, field: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new StoreError(`${field} is not JSON-serialisable`);
  return json;
}

function fromJson(json: string | null): unknown {
  return json === null ? null : JSON.parse(json);
}

/** A Buffer view of the bytes (no copy), which is what the driver binds as a BLOB. */
export function toBuffer(bytes: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(bytes)
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : Buffer.from(bytes);
}

/** The record of a sentence row. */
export function toSentence(row: SentenceRow): SentenceRecord {
  return {
    id: row.id,
    guildId: row.guild_id,
    channelId: row.channel_id,
    authorId: row.author_id,
    text: row.text,
    tokens: JSON.parse(row.tokens) as string[],
    dedupeKey: row.dedupe_key,
    source: row.source,
    interactionId: row.interaction_id,
    createdAt: row.created_at,
  };
}

/** The record of a model row (JSON columns parsed). */
export function toModelRecord(row: ModelRecordRow): ModelRecord {
  return {
    id: row.id,
    guildId: row.guild_id,
    version: row.version,
    status: row.status,
    hyperparameters: fromJson(row.hyperparameters),
    metrics: fromJson(row.metrics),
    corpusSentences: row.corpus_sentences,
    corpusRevision: row.corpus_revision,
    weightsBytes: row.weights_bytes,
    createdAt: row.created_at,
    note: row.note,
  };
}

/** A model row with its payloads, the weights as an ArrayBuffer of exactly the stored bytes. */
export function toStoredModel(row: ModelRow): StoredModel {
  const { buffer, byteOffset, byteLength } = row.weights;
  return {
    ...toModelRecord(row),
    topology: fromJson(row.topology),
    weights: buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer,
    vocabulary: fromJson(row.vocabulary),
  };
}

/** The record of a run row (JSON columns parsed). */
export function toRun(row: RunRow): TrainingRun {
  return {
    id: row.id,
    guildId: row.guild_id,
    status: row.status,
    kind: row.kind,
    trigger: row.trigger,
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    progress: fromJson(row.progress),
    error: row.error,
    modelId: row.model_id,
    summary: fromJson(row.summary),
    owner: row.owner,
    heartbeatAt: row.heartbeat_at,
  };
}
