/**
 * The application's use cases, as the commands see them. Commands (in `commands/`) call these and
 * render the outcomes; they never touch SQL or tensors. Every method is scoped to one guild, so
 * nothing taught in one server can affect another.
 *
 * Outcomes are discriminated unions: "bad input" is a normal result with a reason the command
 * turns into a localised reply, never an exception.
 *
 * @module
 */
import type { ExplainTopic } from '../explain/topics.ts';
import type { PredictedWord, Prediction } from '../lm/predict.ts';
import type { GeometricWeights, ServedKind, ServedModelChoice } from '../lm/served-model.ts';
import type { FrequencyWeights } from '../lm/frequency-weights.ts';

import type { SentenceSource } from '../store/index.ts';
import type { RunFailureCause } from '../training/failure.ts';
import type { KeptWeights } from '../training/metrics.ts';
import type { RetryState } from '../training/schedule-settings.ts';
import type { EpochSummary, RunHandle } from '../training/types.ts';

export type { KeptWeights, RetryState, RunFailureCause, SentenceSource };
export type { EpochSummary, RunHandle, RunProgress, RunResult } from '../training/types.ts';

/** Why a sentence was refused by {@link BotServices.teach}. */
export type TeachRefusal =
  | { status: 'empty' }
  | { status: 'too_long'; length: number; maxLength: number }
  | { status: 'too_many_tokens'; tokens: number; maxTokens: number }
  | { status: 'no_words' }
  | { status: 'duplicate'; existingId: number };

/** The outcome of {@link BotServices.teach}. */
export type TeachOutcome =
  | {
      status: 'added';
      id: number;
      tokens: string[];
      /** How many markup pieces / links were removed before storing. */
      removedMarkup: number;
      /** New sentences still needed before the next scheduled retrain picks this server up. */
      untilRetrain: number;
    }
  | TeachRefusal;

/** A member's request to teach a sentence. */
export interface TeachInput {
  guildId: string;
  channelId: string | null;
  authorId: string;
  text: string;
  source: SentenceSource;
  interactionId?: string;
}

/** One predicted next word. */
export type WordProbability = PredictedWord;

/** Which model answered. */
export interface ModelInfo {
  version: number;
  createdAt: number;
  /** The LSTM, the 3-gram, or their mixture: whichever predicted the held-out sentences best. */
  kind: ServedKind;
  /** The LSTM's weight λ in a linear mixture (1 for the LSTM alone, 0 for the 3-gram alone). */
  lstmWeight: number;
  /** The exponents when a geometric mixture answers, else null. */
  geometric: GeometricWeights | null;
  /** λ by word frequency when the linear mixture that answers weighs its parts so, else null. */
  frequencyWeights: FrequencyWeights | null;
}

/** The server has no model yet: how many sentences it has and still needs. */
export interface NoModel {
  status: 'no_model';
  sentences: number;
  sentencesNeeded: number;
}

/**
 * The outcome of {@link BotServices.predict}: the language model's {@link Prediction} (with the
 * model that answered), or no model yet.
 */
export type PredictOutcome =
  | (Extract<Prediction, { status: 'ok' }> & { model: ModelInfo })
  | Exclude<Prediction, { status: 'ok' }>
  | NoModel;

/** Too many requests wait for the serving threads: nothing was done, the member may try again shortly. */
export interface Busy {
  status: 'busy';
}

/** The outcome of {@link BotServices.generate}. */
export type GenerateOutcome =
  | { status: 'ok'; start: string[]; generated: string[]; unknown: string[]; model: ModelInfo }
  | { status: 'empty_input' }
  | NoModel
  | Busy;

/** What a member asks {@link BotServices.explain}. */
export interface ExplainRequest {
  /** The words whose prediction to take apart; without them, an example from the server's sentences. */
  text?: string;
  /** One section only; default: every section that applies to the text. */
  topic?: ExplainTopic;
  /** The member's locale: the language of the report. */
  locale: string;
}

/** The outcome of an explanation: messages of at most 2,000 characters and an optional PNG chart. */
export type ExplainOutcome = { status: 'ok'; pages: string[]; chart?: Buffer; model: ModelInfo } | NoModel | Busy;

/**
 * What {@link BotServices.explain} answers at once: the explanation queued (its outcome to come), or
 * refused because the measurements already waiting fill the queue (nothing is measured then).
 */
export type ExplainAdmission = { status: 'queued'; outcome: Promise<ExplainOutcome> } | Busy;

/** A stored sentence as listed to members. */
export interface SentenceSummary {
  id: number;
  authorId: string;
  text: string;
  tokens: string[];
  createdAt: number;
}

/** One page of sentences. */
export interface SentencePage {
  sentences: SentenceSummary[];
  total: number;
  page: number;
  pageCount: number;
}

/**
 * The outcome of {@link BotServices.retrain}: the run started or joined, or a full retrain asked
 * for before the guild's interval between full retrains has passed.
 */
export type RetrainOutcome = { status: 'started'; handle: RunHandle } | { status: 'full_not_due'; allowedAt: number };

/** What `/stats` shows. */
export interface GuildStats {
  sentences: number;
  contributors: number;
  vocabularySize: number | null;
  model:
    | (ModelInfo & {
        history: EpochSummary[];
        keptWeights: KeptWeights | null;
        corpusSentences: number;
        /** The validation perplexities the choice of model was made on; null when it compared nothing. */
        choice: ServedModelChoice | null;
      })
    | null;
  /** Sentences added or removed since the serving model's corpus (all of them without one). */
  changesSinceModel: number;
  /** When the scheduler will look at this server next, null when it is not due. */
  nextRetrainAt: number | null;
  /** Changes the scheduler waits for before it retrains. */
  retrainMinChanges: number;
  /** Failed runs since the last success, and when the schedule tries again; null when the last run did not fail. */
  retries: RetryState | null;
  /**
   * The most recent run: a failed run's cause, never its error, which is for operators (it can name
   * files); its id is the reference an operator looks up.
   */
  lastRun: { id: number; status: string; finishedAt: number | null; failure: RunFailureCause | null; note: string | null } | null;
}

/**
 * The use cases commands call. Every method is asynchronous: models load lazily and some answers
 * wait on training, so commands always `await` (and defer first when it can be slow).
 */
export interface BotServices {
  teach(input: TeachInput): Promise<TeachOutcome>;
  predict(guildId: string, text: string, count: number): Promise<PredictOutcome>;
  /** Autocomplete: the typed text followed by each likely next word, at most `limit`. */
  complete(guildId: string, typed: string, limit: number): Promise<string[]>;
  generate(guildId: string, start: string, length: number, temperature: number): Promise<GenerateOutcome>;
  stats(guildId: string): Promise<GuildStats>;
  listSentences(guildId: string, options: { authorId?: string; page: number; pageSize: number }): Promise<SentencePage>;
  /** The text of every sentence of the guild, oldest first: only `authorId`'s when given. */
  exportSentences(guildId: string, options: { authorId?: string }): Promise<string[]>;
  /** Removes one sentence; `authorId` restricts it to that member's own sentences. */
  forgetSentence(guildId: string, sentenceId: number, authorId?: string): Promise<boolean>;
  /** Removes every sentence of a member; returns how many. */
  forgetAuthor(guildId: string, authorId: string): Promise<number>;
  /** Autocomplete over a member's own sentences (or all, for moderators). */
  searchSentences(guildId: string, query: string, authorId: string | undefined, limit: number): Promise<SentenceSummary[]>;
  /**
   * Queues a retrain now, or joins the one already queued or running. A full retrain is refused
   * until the guild's interval between full retrains has passed (a guild without a model may
   * always have its first).
   */
  retrain(guildId: string, options: { full: boolean; requestedBy: string }): RetrainOutcome;
  /** Renders a PNG of a loss history. */
  lossChart(history: EpochSummary[], locale: string): Promise<Buffer>;
  /**
   * The limitations of RNNs, measured on the serving model for the member's words: one
   * measurement at a time, a few more waiting their turn, any beyond them refused at once.
   */
  explain(guildId: string, request: ExplainRequest): ExplainAdmission;
}
