import { errorMessage } from '../errors.ts';
import type { CorpusDigest } from '../explain/corpus-digest.ts';
import type { Logger } from '../log.ts';
import { KneserNeyTrigram } from '../lm/kneser-ney.ts';
import { unpackModel } from '../lm/model-package.ts';
import type { LstmLanguageModel } from '../lm/model.ts';
import { lstmNextWordModel, type LanguageModel, type NextWordModel } from '../lm/predict.ts';
import { kneserNeyNextWordModel, mixtureNextWordModel, type ServedKind, type ServedModelChoice } from '../lm/served-model.ts';
import type { Vocabulary } from '../lm/vocabulary.ts';
import type { ModelRecord, Store } from '../store/index.ts';
import { keptWeightsOf, readModelMetrics, type KeptWeights, type ModelMetrics, type RecordedEpoch } from '../training/metrics.ts';
import { digestGuildCorpus } from './corpus-digester.ts';

/** The model serving a guild, loaded in memory. */
export interface ServingModel {
  id: number;
  version: number;
  createdAt: number;
  corpusSentences: number;
  /** Which model answers predictions (`language`); explanations always take the LSTM apart. */
  kind: ServedKind;
  /** How the training run chose it (the mixture's weight, the validation figures); null when it compared nothing. */
  choice: ServedModelChoice | null;
  /** The LSTM's weight in what answers: λ of the mixture, 1 for the LSTM alone, 0 for the 3-gram. */
  lstmWeight: number;
  lstm: LstmLanguageModel;
  vocabulary: Vocabulary;
  language: LanguageModel;
  history: RecordedEpoch[];
  /** The weights the LSTM holds; null when its metrics do not say (no recorded history). */
  keptWeights: KeptWeights | null;
  /**
   * The guild's corpus in this model's vocabulary, read once per model (at load when the n-gram
   * serves, else at first use) and off the main thread; a failed read is retried at the next call.
   */
  corpus(): Promise<CorpusDigest>;
}

/** Why a guild's model could not be loaded. */
export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError';
}

/**
 * Keeps each guild's serving model in memory and swaps to a newly promoted one.
 *
 * Every lookup asks the store which model serves the guild (an indexed read), so a model that the
 * training worker committed from its own connection is picked up on the next request, and the
 * previous one serves until that commit. A model that fails to load is logged and reported as
 * unavailable; the process carries on.
 */
export class ModelRegistry {
  private readonly loaded = new Map<string, ServingModel>();
  private readonly loading = new Map<string, Promise<ServingModel>>();

  constructor(
    private readonly store: Store,
    private readonly logger?: Logger,
  ) {}

  /** The guild's serving model, or null when it has none. */
  async get(guildId: string): Promise<ServingModel | null> {
    const info = this.store.servingModelInfo(guildId);
    if (info === undefined) {
      this.evict(guildId);
      return null;
    }
    const current = this.loaded.get(guildId);
    if (current?.id === info.id) return current;
    const pending = this.loading.get(guildId);
    if (pending !== undefined) return pending;
    const load = this.load(guildId, info).finally(() => this.loading.delete(guildId));
    this.loading.set(guildId, load);
    return load;
  }

  /** The models held in memory now. */
  loadedModels(): ServingModel[] {
    return [...this.loaded.values()];
  }

  /** Drops a guild's model from memory. */
  evict(guildId: string): void {
    this.loaded.get(guildId)?.lstm.dispose();
    this.loaded.delete(guildId);
  }

  /** Releases every loaded model. */
  dispose(): void {
    for (const guildId of [...this.loaded.keys()]) this.evict(guildId);
  }

  private async load(guildId: string, info: ModelRecord): Promise<ServingModel> {
    const stored = this.store.getModel(guildId, info.version);
    if (stored === undefined) throw new ModelUnavailableError(`Model version ${info.version} disappeared while loading`);
    const started = performance.now();
    let unpacked;
    try {
      unpacked = await unpackModel(stored);
    } catch (error) {
      this.logger?.error({ err: error, guildId, version: info.version }, 'serving model could not be loaded');
      throw new ModelUnavailableError(`Model version ${info.version} could not be loaded: ${errorMessage(error)}`);
    }
    const metrics = this.readMetrics(guildId, info);
    const choice = metrics?.servedModel ?? null;
    const kind = choice?.served ?? 'lstm';
    const corpus = servingCorpus(() => digestGuildCorpus(this.store, guildId, unpacked.vocabulary));
    let model: NextWordModel;
    try {
      const lstm = lstmNextWordModel(unpacked.model);
      // Sentences forgotten since training leave the 3-gram at once: it is counted afresh.
      const kneserNey = async (): Promise<NextWordModel> => kneserNeyNextWordModel(KneserNeyTrigram.fromState((await corpus()).trigram));
      model = kind === 'lstm' ? lstm : kind === 'kneser-ney' ? await kneserNey() : mixtureNextWordModel(lstm, await kneserNey(), choice!.lstmWeight);
    } catch (error) {
      unpacked.model.dispose();
      this.logger?.error({ err: error, guildId, version: info.version }, 'serving n-gram model could not be counted');
      throw new ModelUnavailableError(`Model version ${info.version} could not be loaded: ${errorMessage(error)}`);
    }
    const serving: ServingModel = {
      id: info.id,
      version: info.version,
      createdAt: info.createdAt,
      corpusSentences: info.corpusSentences,
      kind,
      choice,
      lstmWeight: choice?.lstmWeight ?? (kind === 'lstm' ? 1 : 0),
      lstm: unpacked.model,
      vocabulary: unpacked.vocabulary,
      language: { model, vocabulary: unpacked.vocabulary },
      history: metrics?.history ?? [],
      keptWeights: metrics && keptWeightsOf(metrics),
      corpus,
    };
    this.evict(guildId);
    this.loaded.set(guildId, serving);
    this.logger?.info({ guildId, version: info.version, kind, ms: Math.round(performance.now() - started) }, 'serving model loaded');
    return serving;
  }

  /**
   * The model's metrics, or null when they do not read: the weights still answer (as the LSTM,
   * without a history in `/stats`), which beats refusing a model over its record.
   */
  private readMetrics(guildId: string, info: ModelRecord): ModelMetrics | null {
    try {
      return readModelMetrics(info.metrics);
    } catch (error) {
      this.logger?.warn({ err: error, guildId, version: info.version }, 'serving model metrics could not be read; the LSTM answers');
      return null;
    }
  }
}

/** {@link ServingModel.corpus}: digested once, and again only after a failure. */
function servingCorpus(digest: () => Promise<CorpusDigest>): () => Promise<CorpusDigest> {
  let pending: Promise<CorpusDigest> | undefined;
  return () =>
    (pending ??= digest().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}
