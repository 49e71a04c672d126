/**
 * An in-memory {@link BotServices} for command tests: sentences live in a Map, the "model" is
 * bigram counts over the corpus (available once a first retrain's worth of sentences is taught),
 * training runs are driven step by step by the test, and the loss chart is a real PNG.
 *
 * What a sentence may be, when two are the same and how a predicted word joins the typed text come
 * from the real modules; what the real services do with their store (counts, order of lists and
 * searches, what is said before a first model) is held to theirs by the contract suite
 * (bot-services-contract.ts), which runs against both.
 */
import { createCanvas } from '@napi-rs/canvas';
import type { BotServicesSettings } from '../../src/app/bot-services.ts';
import type {
  BotServices,
  EpochSummary,
  ExplainAdmission,
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
  RunProgress,
  RunResult,
  WordProbability,
} from '../../src/app/services.ts';
import { checkSentence } from '../../src/app/teach-policy.ts';
import { dedupeKey, detokenize, tokenize } from '../../src/lm/tokenizer.ts';
import type { ServedModelChoice } from '../../src/lm/served-model.ts';
import { runFailureCause } from '../../src/training/failure.ts';
import { keptWeightsOf, type ModelMetrics } from '../../src/training/metrics.ts';

/**
 * Settings of the fake. `retrainMinChanges` (3 by default) is also the number of sentences from
 * which the bigram "model" answers, as a first model follows a first retrain's worth of sentences.
 */
export interface FakeServicesOptions extends Partial<BotServicesSettings> {
  /** Only the last this many tokens are used for a prediction. */
  contextLength?: number;
  /** The clock, for timestamps. */
  now?: () => number;
}

interface StoredSentence extends SentenceSummary {
  guildId: string;
}

/** A training run the test advances with {@link FakeTrainingRun.report} and ends with {@link FakeTrainingRun.finish}. */
export class FakeTrainingRun {
  private listeners = new Set<(progress: RunProgress) => void>();
  private latest: RunProgress | null = null;
  /** How the run ended, once it has. */
  result: RunResult | null = null;
  private resolve!: (result: RunResult) => void;
  readonly done: Promise<RunResult>;
  active = true;

  constructor(
    readonly runId: number,
    readonly guildId: string,
    readonly full: boolean,
  ) {
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  /** Progress at `epoch` of `maxEpochs`, with a loss that falls as training goes on. */
  report(epoch: number, maxEpochs: number, batch = 0, batchesPerEpoch = 10, phase: 'training' | 'refitting' | 'cross-validating' = 'training'): RunProgress {
    const progress: RunProgress = {
      runId: this.runId,
      guildId: this.guildId,
      phase,
      epoch,
      maxEpochs,
      batch,
      batchesPerEpoch,
      loss: 4 / (epoch + batch / batchesPerEpoch),
      tokensPerSecond: 1000,
      etaSeconds: (maxEpochs - epoch) * 3,
    };
    this.latest = progress;
    for (const listener of this.listeners) listener(progress);
    return progress;
  }

  /** Progress outside the epochs (queued, preparing, saving). */
  reportPhase(phase: Exclude<RunProgress['phase'], 'training' | 'cross-validating'>): void {
    const progress: RunProgress = {
      runId: this.runId, guildId: this.guildId, phase, epoch: 0, maxEpochs: 0, batch: 0, batchesPerEpoch: 0,
      loss: null, tokensPerSecond: null, etaSeconds: null,
    };
    this.latest = progress;
    for (const listener of this.listeners) listener(progress);
  }

  finish(result: RunResult): void {
    this.active = false;
    this.result = result;
    this.resolve(result);
  }

  handle(alreadyActive: boolean): RunHandle {
    return {
      runId: this.runId,
      alreadyActive,
      progress: () => this.latest,
      onProgress: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      done: this.done,
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** See the module description. */
export class FakeServices implements BotServices {
  readonly sentences = new Map<number, StoredSentence>();
  readonly runs: FakeTrainingRun[] = [];
  readonly chartRequests: { history: EpochSummary[]; locale: string }[] = [];
  /** The training metrics recorded with the model `/stats` describes (`ModelMetrics` of the job). */
  modelMetrics: { history: EpochSummary[] } & Pick<ModelMetrics, 'bestEpoch' | 'weightAverage' | 'refit'> = {
    history: [{ epoch: 1, trainLoss: 2.5, validationLoss: 2.7, validationAccuracy: 0.25 }],
    bestEpoch: 1,
  };
  /** What the model `/stats` describes chose to serve (`ModelMetrics.servedModel` of the job). */
  servedChoice: ServedModelChoice | null = null;
  readonly explainRequests: { guildId: string; request: ExplainRequest }[] = [];
  private nextId = 1;
  /**
   * Sentences added and removed per guild. The bigram "model" reads the live corpus and records no
   * corpus revision, so changes count from the first sentence, as they do before a real first model.
   */
  private readonly changes = new Map<string, number>();
  private readonly options: Required<FakeServicesOptions>;

  constructor(options: FakeServicesOptions = {}) {
    this.options = {
      retrainMinChanges: 3,
      contextLength: 4,
      now: () => Date.now(),
      ...options,
    };
  }

  private changed(guildId: string, count: number): void {
    this.changes.set(guildId, this.changesSinceModel(guildId) + count);
  }

  private changesSinceModel(guildId: string): number {
    return this.changes.get(guildId) ?? 0;
  }

  private corpus(guildId: string): StoredSentence[] {
    return [...this.sentences.values()].filter((sentence) => sentence.guildId === guildId);
  }

  async teach(input: TeachInput): Promise<TeachOutcome> {
    const checked = checkSentence(input.text);
    if (checked.status !== 'ok') return checked;
    const { tokens, cleanedText: text, removedMarkup } = checked;
    const key = dedupeKey(tokens);
    const existing = this.corpus(input.guildId).find((sentence) => dedupeKey(sentence.tokens) === key);
    if (existing !== undefined) return { status: 'duplicate', existingId: existing.id };
    const id = this.nextId++;
    this.sentences.set(id, { id, guildId: input.guildId, authorId: input.authorId, text, tokens, createdAt: this.options.now() });
    this.changed(input.guildId, 1);
    return {
      status: 'added',
      id,
      tokens,
      removedMarkup,
      untilRetrain: Math.max(0, this.options.retrainMinChanges - this.changesSinceModel(input.guildId)),
    };
  }

  private vocabulary(guildId: string): Set<string> {
    return new Set(this.corpus(guildId).flatMap((sentence) => sentence.tokens));
  }

  /** Next-word probabilities after `previous` from bigram counts (unigrams when unseen). */
  private nextWords(guildId: string, previous: string | undefined): WordProbability[] {
    const counts = new Map<string, number>();
    for (const { tokens } of this.corpus(guildId)) {
      tokens.forEach((token, index) => {
        if (previous === undefined || tokens[index - 1] === previous) counts.set(token, (counts.get(token) ?? 0) + 1);
      });
    }
    if (counts.size === 0 && previous !== undefined) return this.nextWords(guildId, undefined);
    const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
    return [...counts]
      .map(([word, count]) => ({ word, probability: count / total }))
      .sort((a, b) => b.probability - a.probability || a.word.localeCompare(b.word));
  }

  private model(guildId: string): ModelInfo | null {
    return this.corpus(guildId).length >= this.options.retrainMinChanges ? { version: 1, createdAt: 0, kind: 'lstm', lstmWeight: 1, geometric: null, frequencyWeights: null } : null;
  }

  private noModel(guildId: string): { status: 'no_model'; sentences: number; sentencesNeeded: number } {
    const sentences = this.corpus(guildId).length;
    return { status: 'no_model', sentences, sentencesNeeded: Math.max(0, this.options.retrainMinChanges - sentences) };
  }

  async predict(guildId: string, text: string, count: number): Promise<PredictOutcome> {
    // The real services ask the model first: without one, any text gets `no_model`.
    const model = this.model(guildId);
    if (model === null) return this.noModel(guildId);
    const { tokens } = tokenize(text);
    if (tokens.length === 0) return { status: 'empty_input' };
    const vocabulary = this.vocabulary(guildId);
    const unknown = tokens.filter((token) => !vocabulary.has(token));
    if (unknown.length === tokens.length) return { status: 'all_unknown', tokens, unknown };
    const contextUsed = tokens.slice(-this.options.contextLength);
    const lastKnown = contextUsed.filter((token) => vocabulary.has(token)).at(-1);
    return {
      status: 'ok',
      tokens,
      unknown,
      contextUsed,
      truncated: contextUsed.length < tokens.length,
      predictions: this.nextWords(guildId, lastKnown).slice(0, count),
      model,
    };
  }

  async complete(guildId: string, typed: string, limit: number): Promise<string[]> {
    const outcome = await this.predict(guildId, typed, limit);
    if (outcome.status !== 'ok') return [];
    return outcome.predictions.map(({ word }) => detokenize([typed.trimEnd(), word]));
  }

  async generate(guildId: string, start: string, length: number): Promise<GenerateOutcome> {
    const { tokens } = tokenize(start);
    if (tokens.length === 0) return { status: 'empty_input' };
    const model = this.model(guildId);
    if (model === null) return this.noModel(guildId);
    const vocabulary = this.vocabulary(guildId);
    const generated: string[] = [];
    let previous = tokens.at(-1);
    for (let step = 0; step < length; step += 1) {
      const next = this.nextWords(guildId, previous)[0]?.word;
      if (next === undefined || next === previous) break;
      generated.push(next);
      previous = next;
    }
    return { status: 'ok', start: tokens, generated, unknown: tokens.filter((token) => !vocabulary.has(token)), model };
  }

  async stats(guildId: string): Promise<GuildStats> {
    const corpus = this.corpus(guildId);
    const model = this.model(guildId);
    const lastRun = this.runs.filter((run) => run.guildId === guildId && !run.active).at(-1);
    return {
      sentences: corpus.length,
      contributors: new Set(corpus.map((sentence) => sentence.authorId)).size,
      vocabularySize: model === null ? null : this.vocabulary(guildId).size,
      model:
        model === null
          ? null
          : {
              ...model,
              corpusSentences: corpus.length,
              history: this.modelMetrics.history,
              keptWeights: keptWeightsOf(this.modelMetrics),
              choice: this.servedChoice,
            },
      changesSinceModel: this.changesSinceModel(guildId),
      nextRetrainAt: null,
      retrainMinChanges: this.options.retrainMinChanges,
      retries: null,
      lastRun:
        lastRun?.result == null
          ? null
          : {
              id: lastRun.runId,
              status: lastRun.result.status,
              finishedAt: this.options.now(),
              failure: lastRun.result.status === 'failed' ? runFailureCause(lastRun.result.error) : null,
              note: lastRun.result.status === 'succeeded' ? (lastRun.result.note ?? null) : null,
            },
    };
  }

  async listSentences(guildId: string, options: { authorId?: string; page: number; pageSize: number }): Promise<SentencePage> {
    const matching = this.corpus(guildId)
      .filter((sentence) => options.authorId === undefined || sentence.authorId === options.authorId)
      .reverse();
    const pageCount = Math.max(1, Math.ceil(matching.length / options.pageSize));
    const page = Math.min(pageCount, Math.max(1, Math.floor(options.page)));
    return { sentences: matching.slice((page - 1) * options.pageSize, page * options.pageSize), total: matching.length, page, pageCount };
  }

  async exportSentences(guildId: string, options: { authorId?: string }): Promise<string[]> {
    return this.corpus(guildId)
      .filter((sentence) => options.authorId === undefined || sentence.authorId === options.authorId)
      .map((sentence) => sentence.text);
  }

  async forgetSentence(guildId: string, sentenceId: number, authorId?: string): Promise<boolean> {
    const sentence = this.sentences.get(sentenceId);
    if (sentence?.guildId !== guildId || (authorId !== undefined && sentence.authorId !== authorId)) return false;
    this.sentences.delete(sentenceId);
    this.changed(guildId, 1);
    return true;
  }

  async forgetAuthor(guildId: string, authorId: string): Promise<number> {
    const mine = this.corpus(guildId).filter((sentence) => sentence.authorId === authorId);
    for (const sentence of mine) this.sentences.delete(sentence.id);
    this.changed(guildId, mine.length);
    return mine.length;
  }

  /** As SQLite's `LIKE` matches: ASCII letters in either case, anything else as typed. */
  async searchSentences(guildId: string, query: string, authorId: string | undefined, limit: number): Promise<SentenceSummary[]> {
    const needle = foldAsciiCase(query);
    const matching = this.corpus(guildId)
      .filter((sentence) => (authorId === undefined || sentence.authorId === authorId) && foldAsciiCase(sentence.text).includes(needle))
      .reverse();
    const startsWith = (sentence: SentenceSummary) => foldAsciiCase(sentence.text).startsWith(needle);
    return [...matching.filter(startsWith), ...matching.filter((sentence) => !startsWith(sentence))].slice(0, limit);
  }

  retrain(guildId: string, options: { full: boolean; requestedBy: string }): RetrainOutcome {
    const active = this.runs.find((run) => run.guildId === guildId && run.active);
    if (active !== undefined) return { status: 'started', handle: active.handle(true) };
    const run = new FakeTrainingRun(this.runs.length + 1, guildId, options.full);
    this.runs.push(run);
    return { status: 'started', handle: run.handle(false) };
  }

  /** Two pages naming the request, and a small real PNG when text was given. */
  explain(guildId: string, request: ExplainRequest): ExplainAdmission {
    this.explainRequests.push({ guildId, request });
    return { status: 'queued', outcome: this.explanation(guildId, request) };
  }

  private async explanation(guildId: string, request: ExplainRequest): Promise<ExplainOutcome> {
    const model = this.model(guildId);
    if (model === null) return this.noModel(guildId);
    const subject = request.text ?? 'an example';
    const pages = [`Explanation of ${subject} (${request.topic ?? 'every topic'}, ${request.locale})`, `More about ${subject}`];
    const chart = request.text === undefined ? undefined : await createCanvas(40, 20).encode('png');
    return { status: 'ok', pages, ...(chart === undefined ? {} : { chart }), model };
  }

  async lossChart(history: EpochSummary[], locale: string): Promise<Buffer> {
    this.chartRequests.push({ history, locale });
    const canvas = createCanvas(120, 60);
    const context = canvas.getContext('2d');
    const highest = Math.max(...history.map((epoch) => epoch.trainLoss));
    context.beginPath();
    history.forEach((epoch, index) => {
      const x = (index / Math.max(1, history.length - 1)) * 120;
      const y = 60 - (epoch.trainLoss / highest) * 55;
      if (index === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    context.stroke();
    return canvas.encode('png');
  }
}

function foldAsciiCase(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}
