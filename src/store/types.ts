/**
 * Public record and input types of the store. Discord snowflakes are kept as strings, times
 * are milliseconds since the epoch, JSON columns are exchanged as parsed values.
 */

/** Where a sentence came from. */
export type SentenceSource = 'discord' | 'console' | 'import';

/** A sentence to store; `dedupeKey` is computed by the caller (the tokens joined by a space). */
export interface SentenceInput {
  guildId: string;
  /** Null when the sentence did not come from a channel (console, import). */
  channelId: string | null;
  authorId: string;
  text: string;
  tokens: readonly string[];
  dedupeKey: string;
  source: SentenceSource;
  interactionId?: string | null;
  /** Defaults to now; an import may keep the original time. */
  createdAt?: number;
}

/** A stored sentence. */
export interface SentenceRecord {
  id: number;
  guildId: string;
  channelId: string | null;
  authorId: string;
  text: string;
  tokens: string[];
  dedupeKey: string;
  source: SentenceSource;
  interactionId: string | null;
  createdAt: number;
}

/** Outcome of adding one sentence: a sentence with the same dedupe key in the guild wins. */
export type AddSentenceResult =
  | { status: 'added'; id: number }
  | { status: 'duplicate'; existingId: number };

/** Outcome of adding many sentences at once. */
export interface AddSentencesResult {
  added: number;
  duplicates: number;
}

/** One page of sentences, newest first, with the total the filter matches. */
export interface SentenceRecordPage {
  total: number;
  sentences: SentenceRecord[];
}

/**
 * A guild's training corpus read in one snapshot, so that `revision` is exactly the corpus
 * revision the `sentences` correspond to (record it as the model's `corpusRevision`).
 */
export interface CorpusSnapshot {
  revision: number;
  /** Token arrays in insertion order. */
  sentences: string[][];
}

/** A stored sentence's id and tokens: what reading a whole corpus needs of it. */
export interface CorpusEntry {
  id: number;
  tokens: string[];
}

/** Life-cycle state of a stored model. */
export type ModelStatus = 'serving' | 'archived' | 'rejected';

/** A trained model to store. JSON fields are stored with `JSON.stringify`. */
export interface ModelInput {
  guildId: string;
  /** Layers topology (and weight specs) needed to rebuild the model. */
  topology: unknown;
  /** Raw weight bytes, e.g. the `weightData` of a serialized tf.js model. */
  weights: ArrayBuffer | ArrayBufferView;
  vocabulary: unknown;
  hyperparameters: unknown;
  /** Per-epoch history and summary. */
  metrics: unknown;
  /** Number of sentences the model was trained on. */
  corpusSentences: number;
  /** Corpus revision the training data was read at (see {@link CorpusSnapshot}). */
  corpusRevision: number;
  /**
   * Trained from scratch, not warm-started: once it serves, the sentences removed before
   * `corpusRevision` have left the serving model.
   */
  fromScratch?: boolean;
  note?: string | null;
}

/** Metadata of a stored model, without its large payloads. */
export interface ModelRecord {
  id: number;
  guildId: string;
  /** 1, 2, 3... per guild; never reused, even after pruning. */
  version: number;
  status: ModelStatus;
  hyperparameters: unknown;
  metrics: unknown;
  corpusSentences: number;
  corpusRevision: number;
  weightsBytes: number;
  createdAt: number;
  note: string | null;
}

/** A stored model with everything needed to load it. */
export interface StoredModel extends ModelRecord {
  topology: unknown;
  /** An ArrayBuffer of exactly the stored bytes (what `tf.io.fromMemory` expects). */
  weights: ArrayBuffer;
  vocabulary: unknown;
}

/** Options of `saveModel`. */
export interface SaveModelOptions {
  /** Make the new model the serving one; the previous serving model becomes archived. */
  promote: boolean;
  /** Store a non-promoted model as 'rejected' (failed a quality check) instead of 'archived'. */
  rejected?: boolean;
  /**
   * Models kept per guild (default 5). The oldest non-serving ones beyond this are deleted;
   * the serving model and the model being saved are never deleted.
   */
  keepVersions?: number;
}

/** State of a training run. 'queued' and 'running' are the active states. */
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/** Final states a run can be finished with. */
export type FinishedRunStatus = Exclude<RunStatus, 'queued' | 'running'>;
export type RunKind = 'full' | 'incremental';
export type RunTrigger = 'schedule' | 'command' | 'cli';

/** A training run request. */
export interface RunRequest {
  kind: RunKind;
  trigger: RunTrigger;
  /** Member or operator who asked for it; null for the scheduler. */
  requestedBy?: string | null;
}

/** A stored training run. */
export interface TrainingRun {
  id: number;
  guildId: string;
  status: RunStatus;
  kind: RunKind;
  trigger: RunTrigger;
  requestedBy: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  progress: unknown;
  error: string | null;
  modelId: number | null;
  summary: unknown;
  /** The process that claimed the run (`host/pid/nonce`); null before it is claimed. */
  owner: string | null;
  /** When the owner last reported the run alive (claim, progress or heartbeat). */
  heartbeatAt: number | null;
}

/** Outcome of `enqueueRun`: `created` is false when the guild already had an active run. */
export interface EnqueueResult {
  run: TrainingRun;
  created: boolean;
}

/** How a run ends. */
export interface FinishRunInput {
  status: FinishedRunStatus;
  error?: string | null;
  modelId?: number | null;
  summary?: unknown;
}

/** Options of `failInterruptedRuns`. */
export interface InterruptedRunsOptions {
  /**
   * A run of another process counts as interrupted once its heartbeat is older than this (when
   * that process cannot be checked directly). Default `DEFAULT_STALE_RUN_MS`.
   */
  staleAfterMs?: number;
  /** Runs this process is still working on; any other run this process claimed is over. */
  activeRunIds?: readonly number[];
  /** Failed runs in a row (this one included) after which a guild's run is not queued again. */
  maxAttempts?: number;
}

/** A run found running at start-up, and the run queued to replace it (null past the attempts allowed). */
export interface InterruptedRun {
  interrupted: TrainingRun;
  requeued: TrainingRun | null;
}

/** A guild's failed runs since its last succeeded run. */
export interface FailureStreak {
  failures: number;
  /** When the last of them ended; null without failures. */
  lastFailedAt: number | null;
}

/** A guild whose corpus changed enough since its last trained model. */
export interface RetrainCandidate {
  guildId: string;
  corpusRevision: number;
  /** Corpus revision of the guild's newest model (0 without a model). */
  baselineRevision: number;
  /** `corpusRevision - baselineRevision`. */
  changes: number;
  /**
   * Sentences were removed after the corpus of the latest promoted model trained from scratch:
   * they leave the serving model only with the next such model.
   */
  removalsPending: boolean;
}

/** Summary of a guild for status displays. */
export interface GuildStatsRecord {
  guildId: string;
  corpusRevision: number;
  sentences: number;
  contributors: number;
  servingModel: ModelRecord | undefined;
  /** Sentences added or removed since the serving model's corpus (all of them without one). */
  changesSinceModel: number;
  activeRun: TrainingRun | undefined;
  /** The most recent run, active or not. */
  lastRun: TrainingRun | undefined;
}
