/**
 * A guild's serving model in memory: the LSTM, its vocabulary, what answers predictions (the LSTM,
 * the 3-gram of the guild's sentences, or their mixture) and the guild's corpus digest, with the
 * memory it all holds.
 *
 * @module
 */
import { errorMessage } from '../errors.ts';
import type { CorpusDigest } from '../explain/corpus-digest.ts';
import type { Logger } from '../log.ts';
import { stateBuffers } from '../lm/kneser-ney-counts.ts';
import { KneserNeyTrigram } from '../lm/kneser-ney.ts';
import { unpackModel } from '../lm/model-package.ts';
import type { LstmLanguageModel } from '../lm/model.ts';
import { lstmNextWordModel, type LanguageModel, type NextWordModel } from '../lm/predict.ts';
import type { NetworkCalibration } from '../lm/network-calibration.ts';
import { countsWithEnds, frequencyMixture, type FrequencyMixture, type FrequencyWeights } from '../lm/frequency-weights.ts';
import {
  combinedNextWordModel,
  kneserNeyNextWordModel,
  servedCalibration,
  servedFrequencyWeights,
  servedGeometricWeights,
  type GeometricWeights,
  type ServedKind,
  type ServedModelChoice,
} from '../lm/served-model.ts';
import type { Vocabulary } from '../lm/vocabulary.ts';
import type { ModelRecord, StoredModel } from '../store/index.ts';
import { keptWeightsOf, readModelMetrics, type KeptWeights, type ModelMetrics, type RecordedEpoch } from '../training/metrics.ts';
import type { ModelInfo } from './services.ts';

/** Why a guild's model could not be loaded. */
export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError';
}

/** Digests a guild's corpus in a model's vocabulary. */
export type DigestCorpus = (guildId: string, vocabulary: Vocabulary) => Promise<CorpusDigest>;

/** Rough bytes of a vocabulary entry: the string, its map entry and its count. */
const BYTES_PER_WORD = 96;
/** Rough bytes of a token held by a digest's examples or unknown-word counts. */
const BYTES_PER_DIGEST_TOKEN = 64;

/** A guild's model loaded for serving; see the module description. */
export class ServingModel {
  readonly id: number;
  readonly version: number;
  readonly createdAt: number;
  readonly corpusSentences: number;
  /** Which model answers predictions (`language`); explanations always take the LSTM apart. */
  readonly kind: ServedKind;
  /** How the training run chose it (the mixture's weight, the validation figures); null when it compared nothing. */
  readonly choice: ServedModelChoice | null;
  /** The LSTM's weight in what answers: λ of a linear mixture, 1 for the LSTM alone, 0 for the 3-gram. */
  readonly lstmWeight: number;
  /** The exponents when a geometric mixture answers, else null. */
  readonly geometric: GeometricWeights | null;
  /** The network's calibration when a linear mixture answers with one, else null. */
  readonly calibration: NetworkCalibration | null;
  /** λ by word frequency when the linear mixture that answers weighs its parts so, else null. */
  readonly frequencyWeights: FrequencyWeights | null;
  /** {@link frequencyWeights} with the class of each word of {@link vocabulary}, else null. */
  readonly byFrequency: FrequencyMixture | null;
  readonly lstm: LstmLanguageModel;
  readonly vocabulary: Vocabulary;
  /** What answers predictions; its 3-gram part follows {@link recount}. */
  readonly language: LanguageModel;
  readonly history: RecordedEpoch[];
  /** The weights the LSTM holds; null when its metrics do not say (no recorded history). */
  readonly keptWeights: KeptWeights | null;
  readonly #guildId: string;
  readonly #digestCorpus: DigestCorpus;
  #digest: Promise<CorpusDigest> | undefined;
  /** Counts started; a digest serves only if no later count started before it ended. */
  #generation = 0;
  #digestBytes = 0;
  /** The served 3-gram, once the corpus is digested (the n-gram and the mixture need it before serving). */
  #kneserNey: NextWordModel | undefined;

  private constructor(guildId: string, record: ModelRecord, lstm: LstmLanguageModel, vocabulary: Vocabulary, metrics: ModelMetrics | null, digestCorpus: DigestCorpus) {
    this.#guildId = guildId;
    this.#digestCorpus = digestCorpus;
    this.id = record.id;
    this.version = record.version;
    this.createdAt = record.createdAt;
    this.corpusSentences = record.corpusSentences;
    this.choice = metrics?.servedModel ?? null;
    this.kind = this.choice?.served ?? 'lstm';
    this.lstmWeight = this.choice?.lstmWeight ?? (this.kind === 'lstm' ? 1 : 0);
    this.geometric = servedGeometricWeights(this.choice);
    this.calibration = servedCalibration(this.choice);
    this.frequencyWeights = servedFrequencyWeights(this.choice);
    this.byFrequency = this.frequencyWeights && frequencyMixture(this.frequencyWeights, countsWithEnds(vocabulary.toJSON().counts, record.corpusSentences), record.corpusSentences);
    this.lstm = lstm;
    this.vocabulary = vocabulary;
    this.history = metrics?.history ?? [];
    this.keptWeights = metrics && keptWeightsOf(metrics);
    const network = lstmNextWordModel(lstm);
    const kneserNey: NextWordModel = {
      contextLength: 2,
      nextDistribution: (contextIds) => this.#kneserNey!.nextDistribution(contextIds),
    };
    const model = this.kind === 'lstm' ? network : this.kind === 'kneser-ney' ? kneserNey : combinedNextWordModel(network, kneserNey, this);
    this.language = { model, vocabulary };
  }

  /**
   * Loads a stored model. When the 3-gram serves (alone or mixed), the guild's corpus is digested
   * before the model serves: sentences forgotten since training leave it at once.
   *
   * @throws ModelUnavailableError when the model does not unpack or its corpus cannot be digested.
   */
  static async load(stored: StoredModel, digestCorpus: DigestCorpus, logger?: Logger): Promise<ServingModel> {
    const { guildId, version } = stored;
    let unpacked;
    try {
      unpacked = await unpackModel(stored);
    } catch (error) {
      logger?.error({ err: error, guildId, version }, 'serving model could not be loaded');
      throw new ModelUnavailableError(`Model version ${version} could not be loaded: ${errorMessage(error)}`);
    }
    const serving = new ServingModel(guildId, stored, unpacked.model, unpacked.vocabulary, readMetrics(stored, logger), digestCorpus);
    if (serving.kind !== 'lstm') {
      try {
        await serving.corpus();
      } catch (error) {
        serving.dispose();
        logger?.error({ err: error, guildId, version }, 'serving n-gram model could not be counted');
        throw new ModelUnavailableError(`Model version ${version} could not be loaded: ${errorMessage(error)}`);
      }
    }
    return serving;
  }

  /**
   * The guild's corpus in this model's vocabulary, digested off the main thread at first use (at
   * load when the 3-gram serves) and again by {@link recount}; a failed digest is tried again at
   * the next call.
   */
  corpus(): Promise<CorpusDigest> {
    this.#digest ??= this.#count();
    return this.#digest;
  }

  /**
   * Digests the corpus afresh (after sentences were removed): the served 3-gram, the corpus facts
   * and the examples `/explain` quotes follow once it is counted. Without a digest yet, nothing to
   * do: its first use counts the corpus as it is then.
   */
  async recount(): Promise<void> {
    if (this.#digest === undefined) return;
    this.#digest = this.#count();
    await this.#digest;
  }

  /** Which model answers, as replies name it. */
  get info(): ModelInfo {
    return {
      version: this.version,
      createdAt: this.createdAt,
      kind: this.kind,
      lstmWeight: this.lstmWeight,
      geometric: this.geometric,
      frequencyWeights: this.frequencyWeights,
    };
  }

  /** Memory held (estimated): the LSTM's weights, the vocabulary and the corpus digest. */
  get bytes(): number {
    const { vocabSize, embeddingSize, hiddenSize } = this.lstm;
    // Embedding, LSTM kernels and bias, output kernel with its bias row: 4 bytes each.
    const weights = 4 * (vocabSize * embeddingSize + 4 * hiddenSize * (embeddingSize + hiddenSize + 1) + (hiddenSize + 1) * vocabSize);
    return weights + vocabSize * BYTES_PER_WORD + this.#digestBytes;
  }

  /** Releases the LSTM's weights; the model cannot answer afterwards. */
  dispose(): void {
    this.lstm.dispose();
  }

  #count(): Promise<CorpusDigest> {
    const generation = ++this.#generation;
    return this.#digestCorpus(this.#guildId, this.vocabulary).then(
      (digest) => {
        // A recount started meanwhile: only the newest digest serves.
        if (generation === this.#generation) this.#adopt(digest);
        return digest;
      },
      (error: unknown) => {
        if (generation === this.#generation) this.#digest = undefined;
        throw error;
      },
    );
  }

  #adopt(digest: CorpusDigest): void {
    this.#kneserNey = kneserNeyNextWordModel(KneserNeyTrigram.fromState(digest.trigram));
    let tokens = 0;
    for (const example of digest.examples) tokens += example.tokens.length;
    const arrays = stateBuffers(digest.trigram).reduce((sum, buffer) => sum + buffer.byteLength, 0);
    this.#digestBytes = arrays + (tokens + digest.unknownCounts.size) * BYTES_PER_DIGEST_TOKEN;
  }
}

/**
 * The model's metrics, or null when they do not read: the weights still answer (as the LSTM,
 * without a history in `/stats`), which beats refusing a model over its record.
 */
function readMetrics(record: ModelRecord, logger?: Logger): ModelMetrics | null {
  try {
    return readModelMetrics(record.metrics);
  } catch (error) {
    logger?.warn({ err: error, guildId: record.guildId, version: record.version }, 'serving model metrics could not be read; the LSTM answers');
    return null;
  }
}
