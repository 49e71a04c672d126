import { buildExplanation } from '../explain/explanation.ts';
import type { Logger } from '../log.ts';
import { predictNextWords, sampleContinuation } from '../lm/predict.ts';
import { Random } from '../lm/random.ts';
import { dedupeKey, tokenize } from '../lm/tokenizer.ts';
import { renderLossChart } from '../render/loss-chart.ts';
import type { SentenceRecord, Store } from '../store/index.ts';
import { runFailureCause } from '../training/failure.ts';
import { readRunSummary } from '../training/run-summary.ts';
import type { TrainingService } from '../training/service.ts';
import type { ModelRegistry, ServingModel } from './model-registry.ts';
import type {
  BotServices,
  EpochSummary,
  ExplainOutcome,
  ExplainRequest,
  GenerateOutcome,
  GuildStats,
  ModelInfo,
  PredictOutcome,
  RetrainOutcome,
  SentencePage,
  SentenceSummary,
  TeachInput,
  TeachOutcome,
  RunHandle,
} from './services.ts';
import { checkSentence } from './teach-policy.ts';

/** Settings the use cases depend on. */
export interface BotServicesSettings {
  /** Changes since the newest model before the scheduler retrains (also the size of a first corpus). */
  retrainMinChanges: number;
}

/** What {@link createBotServices} is built from. */
export interface BotServicesDependencies {
  store: Store;
  models: ModelRegistry;
  training: TrainingService;
  settings: BotServicesSettings;
  logger?: Logger;
  now?: () => number;
}

/** The application's use cases on top of the store, the serving models and the training service. */
export function createBotServices(dependencies: BotServicesDependencies): BotServices {
  const { store, models, training, settings } = dependencies;
  const now = dependencies.now ?? Date.now;

  const noModel = (guildId: string) => {
    const sentences = store.countSentences(guildId);
    return { status: 'no_model' as const, sentences, sentencesNeeded: Math.max(0, settings.retrainMinChanges - sentences) };
  };

  const modelInfo = (serving: ServingModel): ModelInfo => ({
    version: serving.version,
    createdAt: serving.createdAt,
    kind: serving.kind,
  });

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
      const serving = await models.get(guildId);
      if (serving === null) return noModel(guildId);
      const prediction = predictNextWords(serving.language, text, count);
      return prediction.status === 'ok' ? { ...prediction, model: modelInfo(serving) } : prediction;
    },

    async complete(guildId: string, typed: string, limit: number): Promise<string[]> {
      const serving = await models.get(guildId);
      if (serving === null) return [];
      const prediction = predictNextWords(serving.language, typed, limit);
      if (prediction.status !== 'ok') return [];
      const base = typed.trimEnd();
      return prediction.predictions.map(({ word }) => joinWord(base, word));
    },

    async generate(guildId: string, start: string, length: number, temperature: number): Promise<GenerateOutcome> {
      const { tokens } = tokenize(start);
      if (tokens.length === 0) return { status: 'empty_input' };
      const serving = await models.get(guildId);
      if (serving === null) return noModel(guildId);
      const { unknown } = serving.vocabulary.encode(tokens);
      const generated = sampleContinuation(serving.language, tokens, length, temperature, new Random(now()));
      return { status: 'ok', start: tokens, generated, unknown, model: modelInfo(serving) };
    },

    async stats(guildId: string): Promise<GuildStats> {
      const stats = store.stats(guildId);
      const serving = stats.servingModel === undefined ? null : await models.get(guildId).catch(() => null);
      const lastRun = stats.lastRun;
      return {
        sentences: stats.sentences,
        contributors: stats.contributors,
        vocabularySize: serving?.vocabulary.size ?? null,
        model:
          serving === null
            ? null
            : { ...modelInfo(serving), history: serving.history, keptWeights: serving.keptWeights, corpusSentences: serving.corpusSentences },
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
      const safePage = Math.max(1, Math.floor(page));
      const result = store.listSentences(guildId, { authorId, limit: pageSize, offset: (safePage - 1) * pageSize });
      return {
        sentences: result.sentences.map(summarize),
        total: result.total,
        page: safePage,
        pageCount: Math.max(1, Math.ceil(result.total / pageSize)),
      };
    },

    async forgetSentence(guildId: string, sentenceId: number, authorId?: string): Promise<boolean> {
      return store.deleteSentence(guildId, sentenceId, { authorId });
    },

    async forgetAuthor(guildId: string, authorId: string): Promise<number> {
      return store.deleteSentencesByAuthor(guildId, authorId);
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

    activeTraining(guildId: string): RunHandle | null {
      return training.activeRun(guildId);
    },

    lossChart(history: EpochSummary[], locale: string): Promise<Buffer> {
      return renderLossChart(history, { locale });
    },

    async explain(guildId: string, { text, topic, locale }: ExplainRequest): Promise<ExplainOutcome> {
      const serving = await models.get(guildId);
      if (serving === null) return noModel(guildId);
      const digest = await serving.corpus();
      // The examples were sampled when the model first read the corpus: a sentence deleted since
      // must not be shown.
      const present = store.presentSentenceIds(guildId, digest.examples.map((example) => example.id));
      const { pages, chart } = await buildExplanation({
        serving,
        corpus: { ...digest, examples: digest.examples.filter((example) => present.has(example.id)) },
        text,
        topic,
        locale,
      });
      return { status: 'ok', pages, ...(chart === undefined ? {} : { chart }), model: modelInfo(serving) };
    },
  };
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

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** Appends a predicted word to typed text the way the language writes it: no space between CJK characters. */
export function joinWord(typed: string, word: string): string {
  if (typed === '') return word;
  const last = typed.at(-1) ?? '';
  const first = word[0] ?? '';
  return CJK.test(last) && CJK.test(first) ? typed + word : `${typed} ${word}`;
}
