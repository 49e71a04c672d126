/**
 * The `sentences` table: what members taught, per guild, with the corpus revision moved by every
 * addition and removal.
 *
 * @module
 */
import type { Connection, DialectSql } from './connection.ts';
import { StoreError } from './errors.ts';
import type { GuildTable } from './guilds.ts';
import { SENTENCE_COLUMNS, toJson, toSentence, type SentenceRow } from './rows.ts';
import { Table } from './table.ts';
import type {
  AddSentenceResult,
  AddSentencesResult,
  CorpusEntry,
  CorpusSnapshot,
  SentenceInput,
  SentenceRecord,
  SentenceRecordPage,
  SentenceSource,
} from './types.ts';

/** Named parameters of a sentence's insertion. */
interface SentenceParams {
  guildId: string;
  channelId: string | null;
  authorId: string;
  text: string;
  tokens: string;
  dedupeKey: string;
  source: SentenceSource;
  interactionId: string | null;
  createdAt: number;
}

/** Named parameters of the statements that filter a guild's sentences by an optional author. */
type GuildParams = { guildId: string; authorId: string | null };

/** @internal the store's sentence statements; use {@link Store}. */
export class SentenceTable extends Table {
  constructor(
    db: Connection,
    private readonly guilds: GuildTable,
  ) {
    super(db);
  }

  readonly #insert = this.db.prepare<SentenceParams, number>(
    // Only the dedupe constraint is tolerated; any other violation must still raise.
    `INSERT INTO sentences
       (guild_id, channel_id, author_id, text, tokens, dedupe_key, source, interaction_id,
        created_at)
     VALUES (@guildId, @channelId, @authorId, @text, @tokens, @dedupeKey, @source,
             @interactionId, @createdAt)
     ON CONFLICT ${this.sql(DEDUPE_KEY.conflictTarget)} DO NOTHING
     RETURNING id`,
  ).pluck();
  readonly #idByKey = this.db.prepare<{ guildId: string; dedupeKey: string }, number>(
    `SELECT id FROM sentences WHERE guild_id = @guildId AND ${this.sql(DEDUPE_KEY.match)}`,
  ).pluck();

  /**
   * Adds a sentence unless the guild already has one with the same dedupe key.
   * An added sentence moves the guild's corpus revision by one.
   */
  addSentence(input: SentenceInput): AddSentenceResult {
    return this.db.transaction((): AddSentenceResult => {
      this.guilds.ensureGuild(input.guildId);
      const result = this.#insertSentence(input);
      if (result.status === 'added') this.guilds.bumpRevision(input.guildId, 1);
      return result;
    }).immediate();
  }

  /**
   * Adds many sentences in one transaction (all or nothing); duplicates, including repeats
   * within `inputs`, are skipped and counted. The revision moves by the number added.
   */
  addSentences(inputs: readonly SentenceInput[]): AddSentencesResult {
    return this.db.transaction((): AddSentencesResult => {
      const addedPerGuild = new Map<string, number>();
      for (const guildId of new Set(inputs.map((input) => input.guildId))) {
        this.guilds.ensureGuild(guildId);
      }
      const addedTo = this.dialect === 'postgres'
        ? this.#insertBatch(inputs)
        : inputs.flatMap((input) => (this.#insertSentence(input).status === 'added' ? [input.guildId] : []));
      for (const guildId of addedTo) addedPerGuild.set(guildId, (addedPerGuild.get(guildId) ?? 0) + 1);
      for (const [guildId, count] of addedPerGuild) this.guilds.bumpRevision(guildId, count);
      return { added: addedTo.length, duplicates: inputs.length - addedTo.length };
    }).immediate();
  }

  /**
   * PostgreSQL only, where each statement costs a round trip: many rows in one statement, inserted
   * in the order given (ids ascend with it); a row conflicting with one inserted before it, in the
   * table or in the batch, is skipped.
   */
  readonly #insertJsonBatch =
    this.dialect === 'postgres'
      ? this.db.prepare<[string], string>(
          `INSERT INTO sentences
             (guild_id, channel_id, author_id, text, tokens, dedupe_key, source, interaction_id, created_at)
           SELECT "guildId", "channelId", "authorId", "text", "tokens", "dedupeKey", "source", "interactionId", "createdAt"
           FROM json_to_recordset(?::json) AS batch("guildId" TEXT, "channelId" TEXT, "authorId" TEXT, "text" TEXT,
                "tokens" TEXT, "dedupeKey" TEXT, "source" TEXT, "interactionId" TEXT, "createdAt" BIGINT, "position" BIGINT)
           ORDER BY "position"
           ON CONFLICT ${this.sql(DEDUPE_KEY.conflictTarget)} DO NOTHING
           RETURNING guild_id`,
        ).pluck()
      : undefined;

  /** Inserts `inputs` in batches of rows (PostgreSQL); returns the guild of each row added. */
  #insertBatch(inputs: readonly SentenceInput[]): string[] {
    const now = Date.now();
    const rows = inputs.map((input, position) => ({ ...this.#row(input, now), position }));
    const added: string[] = [];
    for (let start = 0; start < rows.length; start += BATCH_ROWS) {
      added.push(...this.#insertJsonBatch!.all(JSON.stringify(rows.slice(start, start + BATCH_ROWS))));
    }
    return added;
  }

  /** The named parameters of a sentence's row. */
  #row(input: SentenceInput, now: number): SentenceParams {
    return {
      guildId: input.guildId,
      channelId: input.channelId,
      authorId: input.authorId,
      text: input.text,
      tokens: toJson(input.tokens, 'tokens'),
      dedupeKey: input.dedupeKey,
      source: input.source,
      interactionId: input.interactionId ?? null,
      createdAt: input.createdAt ?? now,
    };
  }

  #insertSentence(input: SentenceInput): AddSentenceResult {
    const id = this.#insert.get(this.#row(input, Date.now()));
    if (id !== undefined) return { status: 'added', id };
    const existingId = this.#idByKey.get({ guildId: input.guildId, dedupeKey: input.dedupeKey });
    if (existingId === undefined) {
      throw new StoreError('sentence insert was skipped but no duplicate exists');
    }
    return { status: 'duplicate', existingId };
  }

  readonly #byId = this.db.prepare<[string, number], SentenceRow>(
    `SELECT ${SENTENCE_COLUMNS} FROM sentences WHERE guild_id = ? AND id = ?`,
  );

  /** A sentence of the guild, or undefined (also when the id belongs to another guild). */
  getSentence(guildId: string, id: number): SentenceRecord | undefined {
    const row = this.#byId.get(guildId, id);
    return row && toSentence(row);
  }

  readonly #countMatching = this.db.prepare<GuildParams, number>(
    `SELECT count(*) FROM sentences
     WHERE guild_id = @guildId AND (CAST(@authorId AS TEXT) IS NULL OR author_id = @authorId)`,
  ).pluck();
  readonly #page = this.db.prepare<GuildParams & { limit: number; offset: number }, SentenceRow>(
    `SELECT ${SENTENCE_COLUMNS} FROM sentences
     WHERE guild_id = @guildId AND (CAST(@authorId AS TEXT) IS NULL OR author_id = @authorId)
     ORDER BY id DESC LIMIT @limit OFFSET @offset`,
  );

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
    return this.db.transaction(
      (): SentenceRecordPage => ({
        total: this.#countMatching.get(params) ?? 0,
        sentences: this.#page.all(params).map(toSentence),
      }),
    )();
  }

  readonly #texts = this.db.prepare<GuildParams, string>(
    `SELECT text FROM sentences
     WHERE guild_id = @guildId AND (CAST(@authorId AS TEXT) IS NULL OR author_id = @authorId)
     ORDER BY id`,
  ).pluck();

  /** The text of every sentence of a guild (only `authorId`'s when given), oldest first. */
  sentenceTexts(guildId: string, options: { authorId?: string } = {}): string[] {
    return this.#texts.all({ guildId, authorId: options.authorId ?? null });
  }

  /** Number of sentences in a guild. */
  countSentences(guildId: string): number {
    return this.#countMatching.get({ guildId, authorId: null }) ?? 0;
  }

  readonly #countsByGuild = this.db.prepare<[], { guildId: string; sentences: number }>(
    'SELECT guild_id AS "guildId", count(*) AS sentences FROM sentences GROUP BY guild_id ORDER BY guild_id',
  );

  /** How many sentences each guild has, for the guilds that have any. */
  sentenceCounts(): { guildId: string; sentences: number }[] {
    return this.#countsByGuild.all();
  }

  readonly #countContributors = this.db.prepare<[string], number>(
    'SELECT count(DISTINCT author_id) FROM sentences WHERE guild_id = ?',
  ).pluck();

  /** Number of distinct members who taught the guild at least one stored sentence. */
  countContributors(guildId: string): number {
    return this.#countContributors.get(guildId) ?? 0;
  }

  readonly #delete = this.db.prepare<GuildParams & { id: number }, unknown>(
    `DELETE FROM sentences
     WHERE guild_id = @guildId AND id = @id AND (CAST(@authorId AS TEXT) IS NULL OR author_id = @authorId)`,
  );

  /**
   * Deletes a sentence for good. With `authorId`, only if that member wrote it.
   * @returns whether a sentence was deleted (which moves the revision by one)
   */
  deleteSentence(guildId: string, id: number, options: { authorId?: string } = {}): boolean {
    return this.db.transaction((): boolean => {
      const { changes } = this.#delete.run({
        guildId,
        id,
        authorId: options.authorId ?? null,
      });
      this.#removed(guildId, changes);
      return changes > 0;
    }).immediate();
  }

  readonly #deleteByAuthor = this.db.prepare<[string, string], unknown>(
    'DELETE FROM sentences WHERE guild_id = ? AND author_id = ?',
  );

  /**
   * Deletes every sentence a member taught in a guild.
   * @returns how many were deleted (the revision moves by as much)
   */
  deleteSentencesByAuthor(guildId: string, authorId: string): number {
    return this.db.transaction((): number => {
      const { changes } = this.#deleteByAuthor.run(guildId, authorId);
      this.#removed(guildId, changes);
      return changes;
    }).immediate();
  }

  #removed(guildId: string, count: number): void {
    if (count === 0) return;
    this.guilds.bumpRevision(guildId, count);
    this.guilds.recordRemoval(guildId);
  }

  readonly #corpus = this.db.prepare<[string], string>('SELECT tokens FROM sentences WHERE guild_id = ? ORDER BY id').pluck();

  /** The guild's training corpus and its revision, in one consistent read. */
  corpus(guildId: string): CorpusSnapshot {
    return this.db.transaction(
      (): CorpusSnapshot => ({
        revision: this.guilds.corpusRevision(guildId),
        // One JSON.parse per row of plucked text: measured fastest among the SQL-side
        // aggregations tried (json_group_array, group_concat) for 100k sentences.
        sentences: this.#corpus.all(guildId).map((tokens) => JSON.parse(tokens) as string[]),
      }),
    )();
  }

  readonly #corpusEntries = this.db.prepare<[string], { id: number; tokens: string }>(
    'SELECT id, tokens FROM sentences WHERE guild_id = ? ORDER BY id',
  );

  /** The guild's sentences as ids and tokens, in insertion order. */
  corpusEntries(guildId: string): CorpusEntry[] {
    return this.#corpusEntries.all(guildId).map((row) => ({ id: row.id, tokens: JSON.parse(row.tokens) as string[] }));
  }

  readonly #presentIds = this.db.prepare<[string, string], number>(
    this.sql({
      sqlite: 'SELECT id FROM sentences WHERE guild_id = ? AND id IN (SELECT value FROM json_each(?))',
      postgres: 'SELECT id FROM sentences WHERE guild_id = ? AND id IN (SELECT json_array_elements_text(?::json)::bigint)',
    }),
  ).pluck();

  /** Which of `ids` are still sentences of the guild (members may have deleted the others). */
  presentSentenceIds(guildId: string, ids: readonly number[]): Set<number> {
    return new Set(this.#presentIds.all(guildId, JSON.stringify(ids)));
  }

  readonly #searchAnyAuthor = this.db.prepare<SearchParams, SentenceRow>(SEARCH_SQL[this.dialect].anyAuthor);
  readonly #searchOneAuthor = this.db.prepare<SearchParams & { authorId: string }, SentenceRow>(SEARCH_SQL[this.dialect].oneAuthor);

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
    const params = { guildId, prefix: `${literal}%`, contains: `%${literal}%`, limit: Math.max(0, Math.floor(limit)) };
    const rows = authorId === undefined ? this.#searchAnyAuthor.all(params) : this.#searchOneAuthor.all({ ...params, authorId });
    return rows.map(toSentence);
  }
}

/** Rows per statement of a batch insert on PostgreSQL. */
const BATCH_ROWS = 2_000;

type SearchParams = { guildId: string; prefix: string; contains: string; limit: number };

/**
 * A search of a guild's sentences, narrowed by `filter`. SQLite's LIKE ignores the case of ASCII
 * letters; PostgreSQL's ILIKE does so for every letter its locale knows.
 */
function searchSql(like: string, filter: string): string {
  return `SELECT ${SENTENCE_COLUMNS} FROM sentences
     WHERE guild_id = @guildId ${filter} AND text ${like} @contains ESCAPE '\\'
     ORDER BY text ${like} @prefix ESCAPE '\\' DESC, id DESC
     LIMIT @limit`;
}

/**
 * The statements of {@link SentenceTable.searchSentences}. A member's search is a statement of its
 * own: with an optional author filter (`@authorId IS NULL OR …`) SQLite cannot use the author index
 * and reads every sentence of the guild at each keystroke.
 *
 * @internal exported for the test of their query plans
 */
export const SEARCH_SQL = {
  sqlite: { anyAuthor: searchSql('LIKE', ''), oneAuthor: searchSql('LIKE', 'AND author_id = @authorId') },
  postgres: { anyAuthor: searchSql('ILIKE', ''), oneAuthor: searchSql('ILIKE', 'AND author_id = @authorId') },
};

/**
 * How a sentence's dedupe key is unique per guild. PostgreSQL indexes a digest of the key: a
 * B-tree entry holds at most about 2.7 kB, less than an imported sentence may take.
 */
const DEDUPE_KEY = {
  conflictTarget: { sqlite: '(guild_id, dedupe_key)', postgres: '(guild_id, md5(dedupe_key))' },
  match: { sqlite: 'dedupe_key = @dedupeKey', postgres: 'md5(dedupe_key) = md5(@dedupeKey) AND dedupe_key = @dedupeKey' },
} satisfies Record<string, DialectSql>;

/** Escapes LIKE wildcards so member input is matched literally (with `ESCAPE '\'`). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
