/**
 * The `guilds` table: one row per guild that ever had a sentence, model or run, holding its corpus
 * revision and the last model version it handed out.
 *
 * @module
 */
import { StoreError } from './errors.ts';
import { Table } from './table.ts';

/** @internal the store's guild statements; use {@link Store}. */
export class GuildTable extends Table {
  readonly #ids = this.db.prepare<[], string>('SELECT id FROM guilds ORDER BY id').pluck();

  /** Ids of every guild the store knows (one that ever had a sentence, model or run). */
  guildIds(): string[] {
    return this.#ids.all();
  }

  readonly #ensure = this.db.prepare<[string, number], unknown>(
    'INSERT INTO guilds (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
  );

  /** Registers the guild on its first sentence, model or run. */
  ensureGuild(guildId: string): void {
    this.#ensure.run(guildId, Date.now());
  }

  readonly #revision = this.db.prepare<[string], number>('SELECT corpus_revision FROM guilds WHERE id = ?').pluck();

  /** Current corpus revision of a guild (0 for an unknown guild). */
  corpusRevision(guildId: string): number {
    return this.#revision.get(guildId) ?? 0;
  }

  readonly #bumpRevision = this.db.prepare<[number, string], unknown>(
    'UPDATE guilds SET corpus_revision = corpus_revision + ? WHERE id = ?',
  );

  /** Moves the corpus revision by one per sentence added or removed. */
  bumpRevision(guildId: string, by: number): void {
    if (by > 0) this.#bumpRevision.run(by, guildId);
  }

  readonly #recordRemoval = this.db.prepare<[string], unknown>(
    'UPDATE guilds SET removal_revision = corpus_revision WHERE id = ?',
  );

  /** Records that sentences were just removed (after the revision moved for them). */
  recordRemoval(guildId: string): void {
    this.#recordRemoval.run(guildId);
  }

  readonly #recordScratchModel = this.db.prepare<{ revision: number; guildId: string }, unknown>(
    `UPDATE guilds SET scratch_revision = CASE WHEN scratch_revision > @revision THEN scratch_revision ELSE @revision END
     WHERE id = @guildId`,
  );

  /** Records that a model trained from scratch on the corpus at `revision` now serves. */
  recordScratchModel(guildId: string, revision: number): void {
    this.#recordScratchModel.run({ revision, guildId });
  }

  readonly #removalsPending = this.db.prepare<[string], number>(
    'SELECT CASE WHEN removal_revision > scratch_revision THEN 1 ELSE 0 END FROM guilds WHERE id = ?',
  ).pluck();

  /**
   * Whether sentences were removed after the corpus the latest promoted model trained from scratch
   * read: the serving model (or the one it was warm-started from) may still carry them.
   */
  removalsPending(guildId: string): boolean {
    return this.#removalsPending.get(guildId) === 1;
  }

  readonly #nextModelVersion = this.db.prepare<[string], number>(
    `UPDATE guilds SET last_model_version = last_model_version + 1 WHERE id = ?
     RETURNING last_model_version`,
  ).pluck();

  /** Hands out the guild's next model version (never reused, even after pruning). */
  nextModelVersion(guildId: string): number {
    const version = this.#nextModelVersion.get(guildId);
    if (version === undefined) throw new StoreError(`guild ${guildId} vanished`);
    return version;
  }
}
