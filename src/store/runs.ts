/**
 * The `training_runs` table: the training queue and its history. At most one run per guild is
 * queued or running; a claimed run records its owner process and a heartbeat so that a run cut
 * short by a crash can be told from one another process still works on.
 *
 * @module
 */
import type { Connection } from './connection.ts';
import { StoreError } from './errors.ts';
import type { GuildTable } from './guilds.ts';
import { RUN_COLUMNS, toJson, toRun, type RunRow } from './rows.ts';
import { PROCESS_RUN_OWNER, runOwnerHasEnded } from './run-owner.ts';
import { Table } from './table.ts';
import type {
  EnqueueResult,
  FailureStreak,
  FinishedRunStatus,
  FinishRunInput,
  InterruptedRun,
  InterruptedRunsOptions,
  RetrainCandidate,
  RunKind,
  RunRequest,
  RunTrigger,
  TrainingRun,
} from './types.ts';

/**
 * How old the heartbeat of another process's run may be before the run counts as interrupted.
 * Training writes one at least every few seconds, but a long synchronous step (scoring a large
 * held-out set, say) holds it back: this must exceed the longest such step.
 */
export const DEFAULT_STALE_RUN_MS = 10 * 60_000;

/** How long a queued full retrain lets incremental runs go first: about as long as it runs itself. */
export const DEFAULT_FULL_RUN_PATIENCE_MS = 30 * 60_000;

/** @internal the store's training-run statements; use {@link Store}. */
export class RunTable extends Table {
  constructor(
    db: Connection,
    private readonly guilds: GuildTable,
  ) {
    super(db);
  }

  readonly #insert = this.db.prepare<
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
  );

  /**
   * Queues a training run for the guild, unless it already has a queued or running one, which
   * is returned instead (`created: false`): one job per guild.
   */
  enqueueRun(guildId: string, request: RunRequest): EnqueueResult {
    return this.db.transaction((): EnqueueResult => {
      const active = this.activeRun(guildId);
      if (active) return { run: active, created: false };
      return { run: this.#insertQueuedRun(guildId, request), created: true };
    }).immediate();
  }

  #insertQueuedRun(guildId: string, request: RunRequest): TrainingRun {
    this.guilds.ensureGuild(guildId);
    const row = this.#insert.get({
      guildId,
      kind: request.kind,
      trigger: request.trigger,
      requestedBy: request.requestedBy ?? null,
      createdAt: Date.now(),
    });
    if (!row) throw new StoreError('run insert returned no row');
    return toRun(row);
  }

  readonly #claimNext = this.db.prepare<{ now: number; owner: string; fullAgedBefore: number }, RunRow>(
    // A single statement, so no other connection can claim the same run in between: SQLite lets
    // one writer at a time; PostgreSQL locks the chosen row (FOR UPDATE), skips a row another
    // connection is claiming at that moment rather than waiting for it (SKIP LOCKED), and the
    // outer status check leaves alone a run claimed since the statement began.
    `UPDATE training_runs SET status = 'running', started_at = @now, heartbeat_at = @now, owner = @owner
     WHERE status = 'queued'
       AND id = (SELECT id FROM training_runs r WHERE status = 'queued'
                 ORDER BY EXISTS (SELECT 1 FROM models m WHERE m.guild_id = r.guild_id),
                          r.kind = 'full' AND r.created_at > @fullAgedBefore,
                          r.created_at, r.id
                 LIMIT 1 ${this.sql({ sqlite: '', postgres: 'FOR UPDATE SKIP LOCKED' })})
     RETURNING ${RUN_COLUMNS}`,
  );

  /**
   * Atomically moves the next queued run (of any guild) to running, owned by this process, or
   * returns undefined. The cheapest kind of run goes first, oldest first within a kind: a guild's
   * first model (it has none to answer with), then incremental runs (a few minutes at most), then
   * full retrains (up to half an hour), unless a full retrain has waited `fullRunPatienceMs`
   * (default {@link DEFAULT_FULL_RUN_PATIENCE_MS}), which then goes before the incremental runs.
   */
  claimNextRun(options: { fullRunPatienceMs?: number } = {}): TrainingRun | undefined {
    const now = Date.now();
    const fullAgedBefore = now - (options.fullRunPatienceMs ?? DEFAULT_FULL_RUN_PATIENCE_MS);
    const row = this.#claimNext.get({ now, owner: PROCESS_RUN_OWNER, fullAgedBefore });
    return row && toRun(row);
  }

  readonly #lastFullRun = this.db.prepare<[string], number | null>(
    `SELECT max(started_at) FROM training_runs
     WHERE guild_id = ? AND kind = 'full' AND started_at IS NOT NULL
       AND NOT (status = 'failed' AND error = 'interrupted')`,
  ).pluck();

  /**
   * When the guild's latest full retrain started (one cut short by a stop or crash does not
   * count), or null.
   */
  lastFullRunAt(guildId: string): number | null {
    return this.#lastFullRun.get(guildId) ?? null;
  }

  readonly #insertClaimed = this.db.prepare<
    { guildId: string; kind: RunKind; trigger: RunTrigger; requestedBy: string | null; now: number; owner: string },
    RunRow
  >(
    // One statement: no other connection can claim the run between its queueing and its claim.
    `INSERT INTO training_runs
       (guild_id, status, kind, "trigger", requested_by, created_at, started_at, heartbeat_at, owner)
     SELECT CAST(@guildId AS TEXT), 'running', CAST(@kind AS TEXT), CAST(@trigger AS TEXT), CAST(@requestedBy AS TEXT),
            CAST(@now AS BIGINT), CAST(@now AS BIGINT), CAST(@now AS BIGINT), CAST(@owner AS TEXT)
     WHERE NOT EXISTS (SELECT 1 FROM training_runs
                       WHERE guild_id = @guildId AND status IN ('queued', 'running'))
     RETURNING ${RUN_COLUMNS}`,
  );

  /**
   * Queues a run for the guild and claims it for this process at once (for an operator's command
   * that trains one guild now), unless the guild already has a queued or running run, which is
   * returned instead (`created: false`).
   */
  enqueueClaimedRun(guildId: string, request: RunRequest): EnqueueResult {
    return this.db.transaction((): EnqueueResult => {
      this.guilds.ensureGuild(guildId);
      // On PostgreSQL the active run that kept the insert out may finish before it is read (a
      // single-statement write does not wait for this transaction): then the insert goes in on the
      // second attempt, since only a transaction like this one queues a run.
      for (let attempt = 1; ; attempt += 1) {
        const row = this.#insertClaimed.get({
          guildId,
          kind: request.kind,
          trigger: request.trigger,
          requestedBy: request.requestedBy ?? null,
          now: Date.now(),
          owner: PROCESS_RUN_OWNER,
        });
        if (row) return { run: toRun(row), created: true };
        const active = this.activeRun(guildId);
        if (active) return { run: active, created: false };
        if (attempt === 2) throw new StoreError(`guild ${guildId} has an active run that cannot be read`);
      }
    }).immediate();
  }

  readonly #updateProgress = this.db.prepare<[string, number, number], unknown>(
    "UPDATE training_runs SET progress = ?, heartbeat_at = ? WHERE id = ? AND status = 'running'",
  );

  /** Records a running run's progress (a heartbeat too). @returns false when the run is not running. */
  updateRunProgress(id: number, progress: unknown): boolean {
    return this.#updateProgress.run(toJson(progress, 'progress'), Date.now(), id).changes > 0;
  }

  readonly #heartbeat = this.db.prepare<[number, number], unknown>(
    "UPDATE training_runs SET heartbeat_at = ? WHERE id = ? AND status = 'running'",
  );

  /**
   * Records that a running run is still being worked on (see {@link failInterruptedRuns}).
   * @returns false when the run is not running (finished, or failed as interrupted meanwhile).
   */
  heartbeatRun(id: number): boolean {
    return this.#heartbeat.run(Date.now(), id).changes > 0;
  }

  readonly #finish = this.db.prepare<
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
  );

  /**
   * Ends a queued or running run.
   * @returns the finished run, or undefined when it was not active (already finished or unknown)
   */
  finishRun(id: number, outcome: FinishRunInput): TrainingRun | undefined {
    const row = this.#finish.get({
      id,
      status: outcome.status,
      error: outcome.error ?? null,
      modelId: outcome.modelId ?? null,
      summary: outcome.summary === undefined ? null : toJson(outcome.summary, 'summary'),
      finishedAt: Date.now(),
    });
    return row && toRun(row);
  }

  readonly #byId = this.db.prepare<[number], RunRow>(`SELECT ${RUN_COLUMNS} FROM training_runs WHERE id = ?`);

  /** A run by id. */
  getRun(id: number): TrainingRun | undefined {
    const row = this.#byId.get(id);
    return row && toRun(row);
  }

  readonly #active = this.db.prepare<[string], RunRow>(
    `SELECT ${RUN_COLUMNS} FROM training_runs
     WHERE guild_id = ? AND status IN ('queued', 'running')`,
  );

  /** The guild's queued or running run, if any. */
  activeRun(guildId: string): TrainingRun | undefined {
    const row = this.#active.get(guildId);
    return row && toRun(row);
  }

  readonly #latest = this.db.prepare<[string, number], RunRow>(
    `SELECT ${RUN_COLUMNS} FROM training_runs WHERE guild_id = ? ORDER BY id DESC LIMIT ?`,
  );

  /** The guild's most recent runs, newest first. */
  latestRuns(guildId: string, limit: number): TrainingRun[] {
    return this.#latest.all(guildId, Math.max(0, Math.floor(limit))).map(toRun);
  }

  readonly #activeCounts = this.db.prepare<[], { queued: number; running: number }>(
    `SELECT count(*) FILTER (WHERE status = 'queued') AS queued, count(*) FILTER (WHERE status = 'running') AS running
     FROM training_runs WHERE status IN ('queued', 'running')`,
  );

  /** How many runs are queued (the queue's length) and running now, over every guild. */
  activeRunCounts(): { queued: number; running: number } {
    return this.#activeCounts.get()!;
  }

  readonly #running = this.db.prepare<[], RunRow>(`SELECT ${RUN_COLUMNS} FROM training_runs WHERE status = 'running'`);
  readonly #failInterrupted = this.db.prepare<[number, number], RunRow>(
    `UPDATE training_runs SET status = 'failed', error = 'interrupted', finished_at = ?
     WHERE id = ? AND status = 'running'
     RETURNING ${RUN_COLUMNS}`,
  );

  readonly #failureStreak = this.db.prepare<{ guildId: string }, FailureStreak>(
    `SELECT count(*) AS failures, max(finished_at) AS "lastFailedAt" FROM training_runs
     WHERE guild_id = @guildId AND status = 'failed'
       AND id > coalesce((SELECT max(id) FROM training_runs WHERE guild_id = @guildId AND status = 'succeeded'), 0)`,
  );

  /** The guild's failed runs since its last succeeded one, and when the last of them ended. */
  failureStreak(guildId: string): FailureStreak {
    return this.#failureStreak.get({ guildId }) ?? { failures: 0, lastFailedAt: null };
  }

  /**
   * Finds the runs marked running that nobody works on any more, marks each failed with error
   * 'interrupted' and queues a fresh run of the same kind for its guild, unless the guild has
   * failed `maxAttempts` times in a row with it (a run that brings the process down would
   * otherwise be started again on every start). A running run is interrupted when:
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
    return this.db.transaction((): InterruptedRun[] => {
      const now = Date.now();
      return this.#running
        .all()
        .map(toRun)
        .filter((run) => isInterrupted(run, now))
        .flatMap((run) => {
          const row = this.#failInterrupted.get(now, run.id);
          // Finished meanwhile by its owner (on PostgreSQL, a single-statement write does not wait
          // for this transaction): it was not interrupted after all.
          if (row === undefined) return [];
          const interrupted = toRun(row);
          const retry = this.failureStreak(interrupted.guildId).failures < (options.maxAttempts ?? Infinity);
          return { interrupted, requeued: retry ? this.#insertQueuedRun(interrupted.guildId, interrupted) : null };
        });
    }).immediate();
  }

  readonly #retrainCandidates = this.db.prepare<[number], Omit<RetrainCandidate, 'removalsPending'> & { removalsPending: number }>(
    `SELECT "guildId", "corpusRevision", "baselineRevision",
            "corpusRevision" - "baselineRevision" AS changes, "removalsPending"
     FROM (SELECT g.id AS "guildId", g.corpus_revision AS "corpusRevision",
                  coalesce((SELECT m.corpus_revision FROM models m WHERE m.guild_id = g.id
                            ORDER BY m.version DESC LIMIT 1), 0) AS "baselineRevision",
                  CASE WHEN g.removal_revision > g.scratch_revision THEN 1 ELSE 0 END AS "removalsPending"
           FROM guilds g
           WHERE NOT EXISTS (SELECT 1 FROM training_runs r
                             WHERE r.guild_id = g.id AND r.status IN ('queued', 'running'))) AS candidates
     WHERE "corpusRevision" - "baselineRevision" >= ? OR "removalsPending" = 1
     ORDER BY "guildId"`,
  );

  /**
   * Guilds with no queued or running run and either at least `retrainMinChanges` sentence
   * additions/removals since their newest stored model (whatever its status), or removals a model
   * trained from scratch has not yet left out (see {@link RetrainCandidate.removalsPending}).
   * Measuring from the newest model rather than the serving one means a model rejected by a
   * quality check, or a deliberate rollback, does not make the scheduler retrain on unchanged data
   * again and again.
   */
  guildsNeedingRetrain(retrainMinChanges: number): RetrainCandidate[] {
    if (!(retrainMinChanges >= 1)) {
      throw new StoreError(`retrainMinChanges must be at least 1, got ${retrainMinChanges}`);
    }
    return this.#retrainCandidates.all(retrainMinChanges).map((row) => ({ ...row, removalsPending: row.removalsPending === 1 }));
  }
}
