import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../log.ts';
import { dedupeKey, tokenize } from '../lm/tokenizer.ts';
import { renderLossChart } from '../render/loss-chart.ts';
import type { SentenceRecord, Store } from '../store/index.ts';
import { runFailureCause } from '../training/failure.ts';
import { readRunSummary } from '../training/run-summary.ts';
import type { TrainingService } from '../training/service.ts';
import { BoundedQueue } from './bounded-queue.ts';
import type { ModelRegistry } from './model-registry.ts';
import type { ExplainResult } from './serving-jobs.ts';
import { ServingBusyError, type ServingPool } from './serving-pool.ts';
import type {
  BotServices,
  EpochSummary,
  ExplainAdmission,
  ExplainOutcome,
  ExplainRequest,
  GenerateOutcome,
  GuildStats,
  PredictOutcome,
  RetrainOutcome,
  SentencePage,
  SentenceSummary,
  TeachInput,
  TeachOutcome,
} from './services.ts';
import { checkSentence } from './teach-policy.ts';

/** Settings the use cases depend on. */
export interface BotServicesSettings {
  /** Changes since the newest model before the scheduler retrains (also the size of a first corpus). */
  retrainMinChanges: number;
}

/**
 * Explanations waiting for the one being measured. Measurements run one at a time: `sequential`
 * times forward passes, and two at once would each time the other's load; and `/explain` then
 * never takes more than one core. A measurement takes half a second to a second, so the last of
 * three waiting gets its turn within a few seconds, well inside a deferred reply's life; members
 * beyond it are told at once to try again.
 */
export const EXPLANATIONS_WAITING = 3;

/** Checkpoints tried after a removal, {@link CHECKPOINT_RETRY_MS} apart, before giving up. */
const CHECKPOINT_ATTEMPTS = 20;
const CHECKPOINT_RETRY_MS = 250;

/** What {@link createBotServices} is built from. */
export interface BotServicesDependencies {
  store: Store;
  /** The main thread's models: `/stats`. */
  models: ModelRegistry;
  /** Where `/generate` and `/explain` run. */
  serving: ServingPool;
  /** Where `/predict` and autocomplete run. */
  predictions: ServingPool;
  training: TrainingService;
  settings: BotServicesSettings;
  logger?: Logger;
  now?: () => number;
}

/** The application's use cases on top of the store, the serving models and the training service. */
export function createBotServices(dependencies: BotServicesDependencies): BotServices {
  const { store, models, serving: servingPool, predictions, training, settings } = dependencies;
  const now = dependencies.now ?? Date.now;
  const explanations = new BoundedQueue(1, EXPLANATIONS_WAITING);

  const noModel = (guildId: string) => {
    const sentences = store.countSentences(guildId);
    return { status: 'no_model' as const, sentences, sentencesNeeded: Math.max(0, settings.retrainMinChanges - sentences) };
  };

  /**
   * After sentences of a guild were removed: the served 3-gram and what `/explain` quotes are
   * counted again without them, on this thread and in the serving threads, and the guild's requests
   * from now on wait for the new counts; then the removed text is erased from the disk, within
   * seconds. What the LSTM learned from them leaves with the guild's next full retrain, which the
   * schedule runs as soon as `FULL_RETRAIN_MIN_INTERVAL_HOURS` allows (the store recorded the
   * removal): removals are batched into it rather than each starting a run.
   */
  const forgotten = (guildId: string): void => {
    servingPool.recountCorpus(guildId);
    predictions.recountCorpus(guildId);
    void models
      .recountCorpus(guildId)
      .then(eraseRemovedText)
      .catch((error: unknown) => dependencies.logger?.error({ err: error, guildId }, 'removed sentences could not be erased from the disk'));
  };

  /**
   * Checkpoints the write-ahead log so that removed text leaves the disk, trying again while another
   * connection (a serving, corpus or training thread) still reads an older state; gives up after
   * a few seconds, logged: the next removal tries again, and SQLite's own checkpoints follow.
   */
  const eraseRemovedText = async (): Promise<void> => {
    for (let attempt = 0; attempt < CHECKPOINT_ATTEMPTS; attempt += 1) {
      if (store.checkpoint()) return;
      // Unreferenced: a retry never keeps a stopping process alive.
      await delay(CHECKPOINT_RETRY_MS, undefined, { ref: false });
    }
    dependencies.logger?.warn({ attempts: CHECKPOINT_ATTEMPTS }, 'the write-ahead log could not be checkpointed after a removal; other connections kept reading');
  };

  return {
    async teach(input: TeachInput): Promise<TeachOutcome> {
      const checked = checkSentence(input.text);
      if (checked.status !== 'ok') return checked;
      const added = store.addSentence({
        guildId: input.guildId,
        channelId: input.channelId,
        authorId: input.authorId,
        text: checked.cleanedText,
        tokens: checked.tokens,
        dedupeKey: dedupeKey(checked.tokens),
        source: input.source,
        interactionId: input.interactionId ?? null,
      });
      if (added.status === 'duplicate') return { status: 'duplicate', existingId: added.existingId };
      const { changesSinceModel } = store.stats(input.guildId);
      return {
        status: 'added',
        id: added.id,
        tokens: checked.tokens,
        removedMarkup: checked.removedMarkup,
        untilRetrain: Math.max(0, settings.retrainMinChanges - changesSinceModel),
      };
    },

    async predict(guildId: string, text: string, count: number): Promise<PredictOutcome> {
      const result = await predictions.run({ kind: 'predict', guildId, text, count });
      return result.status === 'no_model' ? noModel(guildId) : result;
    },

    complete(guildId: string, typed: string, limit: number): Promise<string[]> {
      // Suggestions are the answer itself, due within Discord's 3 s; a /predict reply is deferred.
      return predictions.run({ kind: 'complete', guildId, typed, limit }, { urgent: true });
    },

    async generate(guildId: string, start: string, length: number, temperature: number): Promise<GenerateOutcome> {
      const { tokens } = tokenize(start);
      if (tokens.length === 0) return { status: 'empty_input' };
      let result;
      try {
        result = await servingPool.run({ kind: 'generate', guildId, start: tokens, length, temperature, seed: now() });
      } catch (error) {
        if (error instanceof ServingBusyError) return { status: 'busy' };
        throw error;
      }
      if (result.status === 'no_model') return noModel(guildId);
      return { ...result, start: tokens };
    },

    async stats(guildId: string): Promise<GuildStats> {
      const stats = store.stats(guildId);
      const served =
        stats.servingModel === undefined
          ? null
          : await models
              .use(guildId, (serving) =>
                serving === null
                  ? null
                  : {
                      vocabularySize: serving.vocabulary.size,
                      model: {
                        ...serving.info,
                        history: serving.history,
                        keptWeights: serving.keptWeights,
                        corpusSentences: serving.corpusSentences,
                        choice: serving.choice,
                      },
                    },
              )
              .catch(() => null);
      const lastRun = stats.lastRun;
      return {
        sentences: stats.sentences,
        contributors: stats.contributors,
        vocabularySize: served?.vocabularySize ?? null,
        model: served?.model ?? null,
        changesSinceModel: stats.changesSinceModel,
        nextRetrainAt: training.nextCheckAt(),
        retrainMinChanges: settings.retrainMinChanges,
        retries: training.retryState(guildId),
        lastRun:
          lastRun === undefined
            ? null
            : {
                id: lastRun.id,
                status: lastRun.status,
                finishedAt: lastRun.finishedAt,
                failure: lastRun.status === 'failed' ? runFailureCause(lastRun.error ?? '') : null,
                note: lastRun.summary === null ? null : readRunSummary(lastRun.summary).note,
              },
      };
    },

    async listSentences(guildId, { authorId, page, pageSize }): Promise<SentencePage> {
      const pageOf = (wanted: number) => store.listSentences(guildId, { authorId, limit: pageSize, offset: (wanted - 1) * pageSize });
      let shown = Math.max(1, Math.floor(page));
      let result = pageOf(shown);
      const pageCount = Math.max(1, Math.ceil(result.total / pageSize));
      // A page past the end (a stale link, a typo) shows the last page rather than an empty one.
      if (shown > pageCount) result = pageOf((shown = pageCount));
      return { sentences: result.sentences.map(summarize), total: result.total, page: shown, pageCount };
    },

    async exportSentences(guildId, { authorId }): Promise<string[]> {
      return store.sentenceTexts(guildId, authorId === undefined ? {} : { authorId });
    },

    async forgetSentence(guildId: string, sentenceId: number, authorId?: string): Promise<boolean> {
      const removed = store.deleteSentence(guildId, sentenceId, { authorId });
      if (removed) forgotten(guildId);
      return removed;
    },

    async forgetAuthor(guildId: string, authorId: string): Promise<number> {
      const removed = store.deleteSentencesByAuthor(guildId, authorId);
      if (removed > 0) forgotten(guildId);
      return removed;
    },

    async searchSentences(guildId, query, authorId, limit): Promise<SentenceSummary[]> {
      return store.searchSentences(guildId, authorId, query, limit).map(summarize);
    },

    retrain(guildId: string, options: { full: boolean; requestedBy: string }): RetrainOutcome {
      const active = training.activeRun(guildId);
      if (active !== null) return { status: 'started', handle: active };
      const allowedAt = training.fullRetrainAllowedAt(guildId);
      if (options.full && allowedAt > now() && store.servingModelInfo(guildId) !== undefined) return { status: 'full_not_due', allowedAt };
      return { status: 'started', handle: training.requestRetrain(guildId, options) };
    },

    lossChart(history: EpochSummary[], locale: string): Promise<Buffer> {
      return renderLossChart(history, { locale });
    },

    explain(guildId: string, { text, topic, locale }: ExplainRequest): ExplainAdmission {
      const measured = explanations.offer(() => servingPool.run({ kind: 'explain', guildId, text, topic, locale }));
      if (measured === null) return { status: 'busy' };
      const outcome = measured.then(
        (result) => explanationOutcome(result, () => noModel(guildId)),
        (error: unknown): ExplainOutcome => {
          if (error instanceof ServingBusyError) return { status: 'busy' };
          throw error;
        },
      );
      // The caller awaits it once it has deferred its reply; a failure until then is its own.
      outcome.catch(() => undefined);
      return { status: 'queued', outcome };
    },
  };
}

/** A serving thread's explanation as members get it: the chart's bytes as a Buffer again. */
function explanationOutcome(result: ExplainResult, noModel: () => ExplainOutcome): ExplainOutcome {
  if (result.status === 'no_model') return noModel();
  const { chart, ...rest } = result;
  return chart === undefined ? rest : { ...rest, chart: Buffer.from(chart.buffer, chart.byteOffset, chart.byteLength) };
}

function summarize(sentence: SentenceRecord): SentenceSummary {
  return {
    id: sentence.id,
    authorId: sentence.authorId,
    text: sentence.text,
    tokens: sentence.tokens,
    createdAt: sentence.createdAt,
  };
}

