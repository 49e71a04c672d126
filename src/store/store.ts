import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Connection } from 'better-sqlite3';
import { StoreError } from './errors.ts';
import { assertMigrated, migrate } from './migrations.ts';
import { PROCESS_RUN_OWNER, runOwnerHasEnded } from './run-owner.ts';
import type {
  AddSentenceResult,
  AddSentencesResult,
  CorpusEntry,
  CorpusSnapshot,
  EnqueueResult,
  FinishRunInput,
  FinishedRunStatus,
  GuildStatsRecord,
  InterruptedRun,
  InterruptedRunsOptions,
  ModelRecord,
  ModelInput,
  ModelStatus,
  RetrainCandidate,
  RunKind,
  RunRequest,
  RunStatus,
  RunTrigger,
  SaveModelOptions,
  SentenceInput,
  SentenceRecordPage,
  SentenceRecord,
  SentenceSource,
  StoredModel,
  TrainingRun,
} from './types.ts';

/** Models kept per guild when `saveModel` is not told otherwise. */
export const DEFAULT_KEEP_VERSIONS = 5;

/**
 * How old the heartbeat of another process's run may be before the run counts as interrupted.
 * Training writes one at least every few seconds, but a long synchronous step (scoring a large
 * held-out set, say) holds it back: this must exceed the longest such step.
 */
export const DEFAULT_STALE_RUN_MS = 10 * 60_000;

/** How long a write waits for another connection's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

interface SentenceRow {
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

interface ModelInfoRow {
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

interface ModelRow extends ModelInfoRow {
  topology: string;
  weights: Buffer;
  vocabulary: string;
}

interface RunRow {
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

const SENTENCE_COLUMNS =
  'id, guild_id, channel_id, author_id, text, tokens, dedupe_key, source, interaction_id, ' +
  'created_at';
const MODEL_INFO_COLUMNS =
  'id, guild_id, version, status, hyperparameters, metrics, corpus_sentences, corpus_revision, ' +
  '(SELECT length(weights) FROM model_payloads WHERE model_id = models.id) AS weights_bytes, created_at, note';
const SELECT_MODELS_WITH_PAYLOADS = `SELECT ${MODEL_INFO_COLUMNS}, topology, weights, vocabulary
  FROM models JOIN model_payloads ON model_id = models.id`;
const RUN_COLUMNS =
  'id, guild_id, status, kind, "trigger", requested_by, created_at, started_at, finished_at, ' +
  'progress, error, model_id, summary, owner, heartbeat_at';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * Open an existing, up-to-date database file for reading only (e.g. from a worker thread that
   * only reads): nothing is created, migrated or written. Default false.
   */
  readOnly?: boolean;
}

/**
 * Opens (creating if needed) the store at `file`, or an in-memory store for `':memory:'`.
 * Creates the parent folder, enables WAL, foreign keys, secure deletion and a busy timeout,
 * and applies pending schema migrations.
 *
 * @throws StoreError when the file is not a SQLite database, its schema is newer than this code
 * (or, read-only, not exactly this code's), or it cannot be opened at all
 */
export function openStore(file: string, options: OpenStoreOptions = {}): Store {
  const inMemory = file === ':memory:';
  let db: Connection | undefined;
  try {
    if (options.readOnly) {
      db = new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      assertMigrated(db);
      return new Store(db);
    }
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
    return new Store(db);
  } catch (error) {
    db?.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot open the store at ${file}: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

function toJson(value: unknown, field: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new StoreError(`${field} is not JSON-serialisable`);
  return json;
}

function fromJson(json: string | null): unknown {
  return json === null ? null : JSON.parse(json);
}

/** Escapes LIKE wildcards so member input is matched literally (with `ESCAPE '\'`). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A Buffer view of the bytes (no copy), which is what the driver binds as a BLOB. */
function toBuffer(bytes: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(bytes)
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : Buffer.from(bytes);
}

function toSentence(row: SentenceRow): SentenceRecord {
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

function toModelInfo(row: ModelInfoRow): ModelRecord {
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

function toStoredModel(row: ModelRow): StoredModel {
  const { buffer, byteOffset, byteLength } = row.weights;
  return {
    ...toModelInfo(row),
    topology: fromJson(row.topology),
    weights: buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer,
    vocabulary: fromJson(row.vocabulary),
  };
}

function toRun(row: RunRow): TrainingRun {
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

/**
 * The bot's persistent state: per-guild sentences, trained models and training runs. Every
 * method is synchronous and every multi-statement write is one transaction. Several
 * connections (processes, worker threads) may open the same file; writes that read before
 * writing take the write lock up front (IMMEDIATE) so they wait on each other rather than fail.
 */
export class Store {
  readonly #db: Connection;
  readonly #sql: ReturnType<typeof prepareStatements>;

  /** @internal use {@link openStore} */
  constructor(db: Connection) {
    this.#db = db;
    this.#sql = prepareStatements(db);
  }

  /**
   * The database file, which another connection (e.g. in a worker thread) may open too; null for
   * an in-memory store, which only this connection can see.
   */
  get file(): string | null {
    return this.#db.memory ? null : this.#db.name;
  }

  /** Closes the connection; the store cannot be used afterwards. */
  close(): void {
    this.#db.close();
  }

  // ---- guilds -------------------------------------------------------------------------------

  /** Ids of every guild the store knows (one that ever had a sentence, model or run). */
  guildIds(): string[] {
    return this.#sql.guildIds.all();
  }

  /** Current corpus revision of a guild (0 for an unknown guild). */
  corpusRevision(guildId: string): number {
    return this.#sql.revision.get(guildId) ?? 0;
  }

  /** Counts, serving model, pending changes and runs of a guild, read in one snapshot. */
  stats(guildId: string): GuildStatsRecord {
    return this.#db.transaction((): GuildStatsRecord => {
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

  // ---- sentences ----------------------------------------------------------------------------

  /**
   * Adds a sentence unless the guild already has one with the same dedupe key.
   * An added sentence moves the guild's corpus revision by one.
   */
  addSentence(input: SentenceInput): AddSentenceResult {
    return this.#db.transaction((): AddSentenceResult => {
      this.#ensureGuild(input.guildId);
      const result = this.#insertSentence(input);
      if (result.status === 'added') this.#bumpRevision(input.guildId, 1);
      return result;
    }).immediate();
  }

  /**
   * Adds many sentences in one transaction (all or nothing); duplicates, including repeats
   * within `inputs`, are skipped and counted. The revision moves by the number added.
   */
  addSentences(inputs: readonly SentenceInput[]): AddSentencesResult {
    return this.#db.transaction((): AddSentencesResult => {
      const addedPerGuild = new Map<string, number>();
      for (const guildId of new Set(inputs.map((input) => input.guildId))) {
        this.#ensureGuild(guildId);
      }
      let duplicates = 0;
      for (const input of inputs) {
        if (this.#insertSentence(input).status === 'added') {
          addedPerGuild.set(input.guildId, (addedPerGuild.get(input.guildId) ?? 0) + 1);
        } else {
          duplicates += 1;
        }
      }
      let added = 0;
      for (const [guildId, count] of addedPerGuild) {
        this.#bumpRevision(guildId, count);
        added += count;
      }
      return { added, duplicates };
    }).immediate();
  }

  /** A sentence of the guild, or undefined (also when the id belongs to another guild). */
  getSentence(guildId: string, id: number): SentenceRecord | undefined {
    const row = this.#sql.sentence.get(guildId, id);
    return row && toSentence(row);
  }

  /** A page of a guild's sentences (optionally one member's), newest first, with the total. */
  listSentences(
    guildId: string,
    options: { authorId?: string; limit: number; offset?: number },
  ): SentenceRecordPage {
    const params = {
      guildId,
      authorId: options.authorId ?? null,
      limit: Math.max(0, Math.floor(options.limit)),
      offset: Math.max(0, Math.floor(options.offset ?? 0)),
    };
    return this.#db.transaction(
      (): SentenceRecordPage => ({
        total: this.#sql.countMatching.get(params) ?? 0,
        sentences: this.#sql.pageOfSentences.all(params).map(toSentence),
      }),
    )();
  }

  /** Number of sentences in a guild. */
  countSentences(guildId: string): number {
    return this.#sql.countMatching.get({ guildId, authorId: null }) ?? 0;
  }

  /** Number of distinct members who taught the guild at least one stored sentence. */
  countContributors(guildId: string): number {
    return this.#sql.countContributors.get(guildId) ?? 0;
  }

  /**
   * Deletes a sentence for good. With `authorId`, only if that member wrote it.
   * @returns whether a sentence was deleted (which moves the revision by one)
   */
  deleteSentence(guildId: string, id: number, options: { authorId?: string } = {}): boolean {
    return this.#db.transaction((): boolean => {
      const { changes } = this.#sql.deleteSentence.run({
        guildId,
        id,
        authorId: options.authorId ?? null,
      });
      this.#bumpRevision(guildId, changes);
      return changes > 0;
    }).immediate();
  }

  /**
   * Deletes every sentence a member taught in a guild.
   * @returns how many were deleted (the revision moves by as much)
   */
  deleteSentencesByAuthor(guildId: string, authorId: string): number {
    return this.#db.transaction((): number => {
      const { changes } = this.#sql.deleteByAuthor.run(guildId, authorId);
      this.#bumpRevision(guildId, changes);
      return changes;
    }).immediate();
  }

  /** The guild's training corpus and its revision, in one consistent read. */
  corpus(guildId: string): CorpusSnapshot {
    return this.#db.transaction(
      (): CorpusSnapshot => ({
        revision: this.corpusRevision(guildId),
        // One JSON.parse per row of plucked text: measured fastest among the SQL-side
        // aggregations tried (json_group_array, group_concat) for 100k sentences.
        sentences: this.#sql.corpus.all(guildId).map((tokens) => JSON.parse(tokens) as string[]),
      }),
    )();
  }

  /** The guild's sentences as ids and tokens, in insertion order. */
  corpusEntries(guildId: string): CorpusEntry[] {
    return this.#sql.corpusEntries.all(guildId).map((row) => ({ id: row.id, tokens: JSON.parse(row.tokens) as string[] }));
  }

  /** Which of `ids` are still sentences of the guild (members may have deleted the others). */
  presentSentenceIds(guildId: string, ids: readonly number[]): Set<number> {
    return new Set(this.#sql.presentSentenceIds.all(guildId, JSON.stringify(ids)));
  }

  /**
   * Sentences containing `query` (case-insensitive for ASCII), those starting with it first, then
   * newest first; only one member's when `authorId` is given. For autocompletion of deletions.
   */
  searchSentences(
    guildId: string,
    authorId: string | undefined,
    query: string,
    limit: number,
  ): SentenceRecord[] {
    const literal = likeLiteral(query);
    return this.#sql.search
      .all({
        guildId,
        authorId: authorId ?? null,
        prefix: `${literal}%`,
        contains: `%${literal}%`,
        limit: Math.max(0, Math.floor(limit)),
      })
      .map(toSentence);
  }

  #insertSentence(input: SentenceInput): AddSentenceResult {
    const id = this.#sql.insertSentence.get({
      guildId: input.guildId,
      channelId: input.channelId,
      authorId: input.authorId,
      text: input.text,
      tokens: toJson(input.tokens, 'tokens'),
      dedupeKey: input.dedupeKey,
      source: input.source,
      interactionId: input.interactionId ?? null,
      createdAt: input.createdAt ?? Date.now(),
    });
    if (id !== undefined) return { status: 'added', id };
    const existingId = this.#sql.sentenceIdByKey.get(input.guildId, input.dedupeKey);
    if (existingId === undefined) {
      throw new StoreError('sentence insert was skipped but no duplicate exists');
    }
    return { status: 'duplicate', existingId };
  }

  /** Registers the guild on its first sentence, model or run. */
  #ensureGuild(guildId: string): void {
    this.#sql.ensureGuild.run(guildId, Date.now());
  }

  #bumpRevision(guildId: string, by: number): void {
    if (by > 0) this.#sql.bumpRevision.run(by, guildId);
  }

  // ---- models -------------------------------------------------------------------------------

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
    return this.#db.transaction((): { id: number; version: number } => {
      this.#ensureGuild(input.guildId);
      const version = this.#sql.nextModelVersion.get(input.guildId);
      if (version === undefined) throw new StoreError(`guild ${input.guildId} vanished`);
      if (options.promote) this.#sql.archiveServing.run(input.guildId);
      const id = this.#sql.insertModel.get({ ...row, version });
      if (id === undefined) throw new StoreError('model insert returned no id');
      this.#sql.insertModelPayload.run({ modelId: id, ...payload });
      this.#sql.pruneModels.run({ guildId: input.guildId, keep: keepVersions, savedId: id });
      return { id, version };
    }).immediate();
  }

  /** The guild's serving model with its payloads, or undefined. */
  servingModel(guildId: string): StoredModel | undefined {
    const row = this.#sql.servingModel.get(guildId);
    return row && toStoredModel(row);
  }

  /** Metadata of the guild's serving model, without loading its payloads. */
  servingModelInfo(guildId: string): ModelRecord | undefined {
    const row = this.#sql.servingModelInfo.get(guildId);
    return row && toModelInfo(row);
  }

  /** One version of a guild's model with its payloads, or undefined. */
  getModel(guildId: string, version: number): StoredModel | undefined {
    const row = this.#sql.modelByVersion.get(guildId, version);
    return row && toStoredModel(row);
  }

  /** Metadata of the guild's stored models, newest version first. */
  listModels(guildId: string): ModelRecord[] {
    return this.#sql.listModels.all(guildId).map(toModelInfo);
  }

  /**
   * Makes a stored version the serving one (rollback or roll forward); the previously serving
   * model becomes archived.
   * @returns the promoted model's metadata, or undefined when the version does not exist
   */
  promoteVersion(guildId: string, version: number): ModelRecord | undefined {
    return this.#db.transaction((): ModelRecord | undefined => {
      const target = this.#sql.modelInfoByVersion.get(guildId, version);
      if (!target) return undefined;
      if (target.status !== 'serving') {
        this.#sql.archiveServing.run(guildId);
        this.#sql.setModelStatus.run('serving', target.id);
      }
      return toModelInfo({ ...target, status: 'serving' });
    }).immediate();
  }

  // ---- training runs ------------------------------------------------------------------------

  /**
   * Queues a training run for the guild, unless it already has a queued or running one, which
   * is returned instead (`created: false`): one job per guild.
   */
  enqueueRun(guildId: string, request: RunRequest): EnqueueResult {
    return this.#db.transaction((): EnqueueResult => {
      const active = this.activeRun(guildId);
      if (active) return { run: active, created: false };
      return { run: this.#insertQueuedRun(guildId, request), created: true };
    }).immediate();
  }

  /**
   * Atomically moves the oldest queued run (of any guild) to running, owned by this process, or
   * returns undefined.
   */
  claimNextRun(): TrainingRun | undefined {
    const row = this.#sql.claimNext.get({ now: Date.now(), owner: PROCESS_RUN_OWNER });
    return row && toRun(row);
  }

  /**
   * Claims one particular queued run for this process (for an operator's command that trains one
   * guild now).
   * @returns undefined when that run is not queued any more.
   */
  claimRun(id: number): TrainingRun | undefined {
    const row = this.#sql.claimById.get({ now: Date.now(), owner: PROCESS_RUN_OWNER, id });
    return row && toRun(row);
  }

  /** Records a running run's progress (a heartbeat too). @returns false when the run is not running. */
  updateRunProgress(id: number, progress: unknown): boolean {
    return this.#sql.updateProgress.run(toJson(progress, 'progress'), Date.now(), id).changes > 0;
  }

  /**
   * Records that a running run is still being worked on (see {@link failInterruptedRuns}).
   * @returns false when the run is not running (finished, or failed as interrupted meanwhile).
   */
  heartbeatRun(id: number): boolean {
    return this.#sql.heartbeat.run(Date.now(), id).changes > 0;
  }

  /**
   * Ends a queued or running run.
   * @returns the finished run, or undefined when it was not active (already finished or unknown)
   */
  finishRun(id: number, outcome: FinishRunInput): TrainingRun | undefined {
    const row = this.#sql.finishRun.get({
      id,
      status: outcome.status,
      error: outcome.error ?? null,
      modelId: outcome.modelId ?? null,
      summary: outcome.summary === undefined ? null : toJson(outcome.summary, 'summary'),
      finishedAt: Date.now(),
    });
    return row && toRun(row);
  }

  /** A run by id. */
  getRun(id: number): TrainingRun | undefined {
    const row = this.#sql.runById.get(id);
    return row && toRun(row);
  }

  /** The guild's queued or running run, if any. */
  activeRun(guildId: string): TrainingRun | undefined {
    const row = this.#sql.activeRun.get(guildId);
    return row && toRun(row);
  }

  /** The guild's most recent runs, newest first. */
  latestRuns(guildId: string, limit: number): TrainingRun[] {
    return this.#sql.latestRuns.all(guildId, Math.max(0, Math.floor(limit))).map(toRun);
  }

  /**
   * Finds the runs marked running that nobody works on any more, marks each failed with error
   * 'interrupted' and queues a fresh run of the same kind for its guild. A running run is
   * interrupted when:
   * - this process claimed it and it is not among `activeRunIds` (at start-up: every run this
   *   process claimed before);
   * - the process that claimed it ran on this host and has ended, or it has no owner (a run
   *   claimed before owners were recorded);
   * - another process claimed it and its heartbeat is older than `staleAfterMs` (a process on
   *   another host, or one that hangs).
   */
  failInterruptedRuns(options: InterruptedRunsOptions = {}): InterruptedRun[] {
    const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_RUN_MS;
    const active = new Set(options.activeRunIds ?? []);
    const isInterrupted = (run: TrainingRun, now: number): boolean => {
      if (run.owner === PROCESS_RUN_OWNER) return !active.has(run.id);
      if (run.owner === null || runOwnerHasEnded(run.owner)) return true;
      return now - (run.heartbeatAt ?? run.startedAt ?? 0) > staleAfterMs;
    };
    return this.#db.transaction((): InterruptedRun[] => {
      const now = Date.now();
      return this.#sql.runningRuns
        .all()
        .map(toRun)
        .filter((run) => isInterrupted(run, now))
        .map((run) => {
          const row = this.#sql.failInterrupted.get(now, run.id);
          if (row === undefined) throw new StoreError(`running run ${run.id} vanished`);
          const interrupted = toRun(row);
          return { interrupted, requeued: this.#insertQueuedRun(interrupted.guildId, interrupted) };
        });
    }).immediate();
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
    return this.#db.transaction((): { id: number; version: number } => {
      const saved = this.saveModel(input, options);
      const finished = this.finishRun(runId, { status: 'succeeded', modelId: saved.id, summary: summarize(saved) });
      if (finished === undefined) throw new StoreError(`training run ${runId} is no longer active; its model was not saved`);
      return saved;
    }).immediate();
  }

  /**
   * Guilds with at least `retrainMinChanges` sentence additions/removals since their newest stored
   * model (whatever its status) and no queued or running run. Measuring from the newest model
   * rather than the serving one means a model rejected by a quality check, or a deliberate
   * rollback, does not make the scheduler retrain on unchanged data again and again.
   */
  guildsNeedingRetrain(retrainMinChanges: number): RetrainCandidate[] {
    if (!(retrainMinChanges >= 1)) {
      throw new StoreError(`retrainMinChanges must be at least 1, got ${retrainMinChanges}`);
    }
    return this.#sql.retrainCandidates.all(retrainMinChanges);
  }

  #insertQueuedRun(guildId: string, request: RunRequest): TrainingRun {
    this.#ensureGuild(guildId);
    const row = this.#sql.insertRun.get({
      guildId,
      kind: request.kind,
      trigger: request.trigger,
      requestedBy: request.requestedBy ?? null,
      createdAt: Date.now(),
    });
    if (!row) throw new StoreError('run insert returned no row');
    return toRun(row);
  }
}

/** Every statement the store runs, prepared once per connection. */
function prepareStatements(db: Connection) {
  type GuildParams = { guildId: string; authorId: string | null };

  return {
    ensureGuild: db.prepare<[string, number], unknown>(
      'INSERT INTO guilds (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
    ),
    guildIds: db.prepare<[], string>('SELECT id FROM guilds ORDER BY id').pluck(),
    revision: db
      .prepare<[string], number>('SELECT corpus_revision FROM guilds WHERE id = ?')
      .pluck(),
    bumpRevision: db.prepare<[number, string], unknown>(
      'UPDATE guilds SET corpus_revision = corpus_revision + ? WHERE id = ?',
    ),

    insertSentence: db.prepare<
      {
        guildId: string;
        channelId: string | null;
        authorId: string;
        text: string;
        tokens: string;
        dedupeKey: string;
        source: SentenceSource;
        interactionId: string | null;
        createdAt: number;
      },
      number
    >(
      // Only the dedupe constraint is tolerated; any other violation must still raise.
      `INSERT INTO sentences
         (guild_id, channel_id, author_id, text, tokens, dedupe_key, source, interaction_id,
          created_at)
       VALUES (@guildId, @channelId, @authorId, @text, @tokens, @dedupeKey, @source,
               @interactionId, @createdAt)
       ON CONFLICT (guild_id, dedupe_key) DO NOTHING
       RETURNING id`,
    ).pluck(),
    sentenceIdByKey: db.prepare<[string, string], number>(
      'SELECT id FROM sentences WHERE guild_id = ? AND dedupe_key = ?',
    ).pluck(),
    sentence: db.prepare<[string, number], SentenceRow>(
      `SELECT ${SENTENCE_COLUMNS} FROM sentences WHERE guild_id = ? AND id = ?`,
    ),
    countMatching: db.prepare<GuildParams, number>(
      `SELECT count(*) FROM sentences
       WHERE guild_id = @guildId AND (@authorId IS NULL OR author_id = @authorId)`,
    ).pluck(),
    pageOfSentences: db.prepare<GuildParams & { limit: number; offset: number }, SentenceRow>(
      `SELECT ${SENTENCE_COLUMNS} FROM sentences
       WHERE guild_id = @guildId AND (@authorId IS NULL OR author_id = @authorId)
       ORDER BY id DESC LIMIT @limit OFFSET @offset`,
    ),
    countContributors: db.prepare<[string], number>(
      'SELECT count(DISTINCT author_id) FROM sentences WHERE guild_id = ?',
    ).pluck(),
    deleteSentence: db.prepare<GuildParams & { id: number }, unknown>(
      `DELETE FROM sentences
       WHERE guild_id = @guildId AND id = @id AND (@authorId IS NULL OR author_id = @authorId)`,
    ),
    deleteByAuthor: db.prepare<[string, string], unknown>(
      'DELETE FROM sentences WHERE guild_id = ? AND author_id = ?',
    ),
    corpus: db
      .prepare<[string], string>('SELECT tokens FROM sentences WHERE guild_id = ? ORDER BY id')
      .pluck(),
    corpusEntries: db.prepare<[string], { id: number; tokens: string }>(
      'SELECT id, tokens FROM sentences WHERE guild_id = ? ORDER BY id',
    ),
    presentSentenceIds: db.prepare<[string, string], number>(
      'SELECT id FROM sentences WHERE guild_id = ? AND id IN (SELECT value FROM json_each(?))',
    ).pluck(),
    search: db.prepare<
      { guildId: string; authorId: string | null; prefix: string; contains: string; limit: number },
      SentenceRow
    >(
      `SELECT ${SENTENCE_COLUMNS} FROM sentences
       WHERE guild_id = @guildId AND (@authorId IS NULL OR author_id = @authorId)
         AND text LIKE @contains ESCAPE '\\'
       ORDER BY text LIKE @prefix ESCAPE '\\' DESC, id DESC
       LIMIT @limit`,
    ),

    nextModelVersion: db.prepare<[string], number>(
      `UPDATE guilds SET last_model_version = last_model_version + 1 WHERE id = ?
       RETURNING last_model_version`,
    ).pluck(),
    archiveServing: db.prepare<[string], unknown>(
      "UPDATE models SET status = 'archived' WHERE guild_id = ? AND status = 'serving'",
    ),
    setModelStatus: db.prepare<[ModelStatus, number], unknown>(
      'UPDATE models SET status = ? WHERE id = ?',
    ),
    insertModel: db.prepare<
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
    ).pluck(),
    insertModelPayload: db.prepare<{ modelId: number; topology: string; weights: Buffer; vocabulary: string }, unknown>(
      `INSERT INTO model_payloads (model_id, topology, weights, vocabulary)
       VALUES (@modelId, @topology, @weights, @vocabulary)`,
    ),
    pruneModels: db.prepare<{ guildId: string; keep: number; savedId: number }, unknown>(
      // The serving model and the one just saved always stay and use up part of `keep`; of
      // the others, only the newest that still fit are kept.
      `DELETE FROM models WHERE id IN (
         SELECT id FROM models
         WHERE guild_id = @guildId AND status <> 'serving' AND id <> @savedId
         ORDER BY version DESC
         LIMIT -1 OFFSET max(0, @keep - (SELECT count(*) FROM models WHERE guild_id = @guildId
                                          AND (status = 'serving' OR id = @savedId))))`,
    ),
    servingModel: db.prepare<[string], ModelRow>(
      `${SELECT_MODELS_WITH_PAYLOADS} WHERE guild_id = ? AND status = 'serving'`,
    ),
    servingModelInfo: db.prepare<[string], ModelInfoRow>(
      `SELECT ${MODEL_INFO_COLUMNS} FROM models WHERE guild_id = ? AND status = 'serving'`,
    ),
    modelByVersion: db.prepare<[string, number], ModelRow>(
      `${SELECT_MODELS_WITH_PAYLOADS} WHERE guild_id = ? AND version = ?`,
    ),
    modelInfoByVersion: db.prepare<[string, number], ModelInfoRow>(
      `SELECT ${MODEL_INFO_COLUMNS} FROM models WHERE guild_id = ? AND version = ?`,
    ),
    listModels: db.prepare<[string], ModelInfoRow>(
      `SELECT ${MODEL_INFO_COLUMNS} FROM models WHERE guild_id = ? ORDER BY version DESC`,
    ),

    insertRun: db.prepare<
      {
        guildId: string;
        kind: RunKind;
        trigger: RunTrigger;
        requestedBy: string | null;
        createdAt: number;
      },
      RunRow
    >(
      `INSERT INTO training_runs (guild_id, status, kind, "trigger", requested_by, created_at)
       VALUES (@guildId, 'queued', @kind, @trigger, @requestedBy, @createdAt)
       RETURNING ${RUN_COLUMNS}`,
    ),
    claimNext: db.prepare<{ now: number; owner: string }, RunRow>(
      // A single statement, so no other connection can claim the same run in between.
      `UPDATE training_runs SET status = 'running', started_at = @now, heartbeat_at = @now, owner = @owner
       WHERE id = (SELECT id FROM training_runs WHERE status = 'queued'
                   ORDER BY created_at, id LIMIT 1)
       RETURNING ${RUN_COLUMNS}`,
    ),
    claimById: db.prepare<{ now: number; owner: string; id: number }, RunRow>(
      `UPDATE training_runs SET status = 'running', started_at = @now, heartbeat_at = @now, owner = @owner
       WHERE id = @id AND status = 'queued'
       RETURNING ${RUN_COLUMNS}`,
    ),
    updateProgress: db.prepare<[string, number, number], unknown>(
      "UPDATE training_runs SET progress = ?, heartbeat_at = ? WHERE id = ? AND status = 'running'",
    ),
    heartbeat: db.prepare<[number, number], unknown>(
      "UPDATE training_runs SET heartbeat_at = ? WHERE id = ? AND status = 'running'",
    ),
    finishRun: db.prepare<
      {
        id: number;
        status: FinishedRunStatus;
        error: string | null;
        modelId: number | null;
        summary: string | null;
        finishedAt: number;
      },
      RunRow
    >(
      `UPDATE training_runs
       SET status = @status, error = @error, model_id = @modelId, summary = @summary,
           finished_at = @finishedAt
       WHERE id = @id AND status IN ('queued', 'running')
       RETURNING ${RUN_COLUMNS}`,
    ),
    runById: db.prepare<[number], RunRow>(`SELECT ${RUN_COLUMNS} FROM training_runs WHERE id = ?`),
    activeRun: db.prepare<[string], RunRow>(
      `SELECT ${RUN_COLUMNS} FROM training_runs
       WHERE guild_id = ? AND status IN ('queued', 'running')`,
    ),
    latestRuns: db.prepare<[string, number], RunRow>(
      `SELECT ${RUN_COLUMNS} FROM training_runs WHERE guild_id = ? ORDER BY id DESC LIMIT ?`,
    ),
    runningRuns: db.prepare<[], RunRow>(`SELECT ${RUN_COLUMNS} FROM training_runs WHERE status = 'running'`),
    failInterrupted: db.prepare<[number, number], RunRow>(
      `UPDATE training_runs SET status = 'failed', error = 'interrupted', finished_at = ?
       WHERE id = ? AND status = 'running'
       RETURNING ${RUN_COLUMNS}`,
    ),
    retrainCandidates: db.prepare<[number], RetrainCandidate>(
      `SELECT guildId, corpusRevision, baselineRevision,
              corpusRevision - baselineRevision AS changes
       FROM (SELECT g.id AS guildId, g.corpus_revision AS corpusRevision,
                    coalesce((SELECT m.corpus_revision FROM models m WHERE m.guild_id = g.id
                              ORDER BY m.version DESC LIMIT 1), 0) AS baselineRevision
             FROM guilds g
             WHERE NOT EXISTS (SELECT 1 FROM training_runs r
                               WHERE r.guild_id = g.id AND r.status IN ('queued', 'running')))
       WHERE corpusRevision - baselineRevision >= ?
       ORDER BY guildId`,
    ),
  };
}
