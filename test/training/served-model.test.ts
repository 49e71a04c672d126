import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CROSS_VALIDATION_FOLDS, MIN_SENTENCES_FOR_CROSS_VALIDATION } from '../../src/lm/hyperparameters.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';
import { Vocabulary } from '../../src/lm/vocabulary.ts';
import { mixturePerplexity } from '../../src/lm/served-model.ts';
import { createLogger } from '../../src/log.ts';
import { predictNextWords } from '../../src/lm/predict.ts';
import { BOS, EOS, FIRST_WORD_ID } from '../../src/lm/special-tokens.ts';
import { CorpusDigester } from '../../src/app/corpus-digester.ts';
import { ServingModel } from '../../src/app/serving-model.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { runTrainingJob } from '../../src/training/job.ts';
import { readModelMetrics } from '../../src/training/metrics.ts';
import { readRunSummary, type RunSummary } from '../../src/training/run-summary.ts';
import type { JobSettings } from '../../src/training/job-settings.ts';
import { servingModels } from '../support/serving-models.ts';
import { TINY_CORPUS, longRangeCorpus, teachSentences, templatedCorpus } from './corpus.ts';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'served-model-'));
  store = openStore(path.join(dir, 'bot.sqlite'));
});

afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function trainFull(guildId: string, settings: Partial<JobSettings> = {}): Promise<RunSummary> {
  store.enqueueRun(guildId, { kind: 'full', trigger: 'cli' });
  const run = store.claimNextRun()!;
  const result = await runTrainingJob(store, run, { settings: { budgetMinutes: 1, ...settings } });
  expect(result.status).toBe('succeeded');
  return readRunSummary(store.getRun(run.id)!.summary);
}

describe('serving the better of the LSTM and the n-gram model', () => {
  it('serves the n-gram model when it predicts the validation sentences better than the LSTM', async () => {
    teachSentences(store, 'g', templatedCorpus());
    // One epoch of a tiny network cannot learn the patterns a trigram counts exactly.
    const summary = await trainFull('g', {
      hyperparameters: { validationFraction: 0.3, maxEpochs: 1, embeddingSize: 4, hiddenSize: 4, learningRate: 0.001 },
    });

    const metrics = readModelMetrics(store.servingModel('g')!.metrics);
    expect(metrics.servedModel?.served).toBe('kneser-ney');
    expect(metrics.servedModel!.kneserNeyPerplexity).toBeLessThan(metrics.servedModel!.lstmPerplexity);
    expect(metrics.servedModel!.lstmPerplexity).toBeCloseTo(Math.exp(metrics.history[0]!.validationLoss!), 6);
    expect(summary.note).toMatch(/n-gram model answers/);

    await expectServedNgram(store);
  });

  it('serves the mixture of both when it predicts the validation sentences better than either', async () => {
    teachSentences(store, 'g', longRangeCorpus());
    // After fourteen epochs the network predicts about as well as the 3-gram, wrong in other places.
    const summary = await trainFull('g', { hyperparameters: { validationFraction: 0.3, maxEpochs: 14, embeddingSize: 8, hiddenSize: 16 } });

    const choice = readModelMetrics(store.servingModel('g')!.metrics).servedModel!;
    expect(choice.served).toBe('mix');
    expect(choice.lstmWeight).toBeGreaterThan(0.1);
    expect(choice.lstmWeight).toBeLessThan(0.9);
    expect(choice.mixPerplexity).toBeLessThan(Math.min(choice.lstmPerplexity, choice.kneserNeyPerplexity));
    // Here the geometric combination validates better still, and serves.
    expect(choice.combination).toBe('geometric');
    const { lstmExponent, kneserNeyExponent, perplexity, linearPerplexity } = choice.geometric!;
    expect(perplexity).toBeLessThan(linearPerplexity);
    expect(summary.note).toContain(`LSTM × 3-gram geometric mixture answers (exponents ${lstmExponent.toFixed(2)} / ${kneserNeyExponent.toFixed(2)})`);

    const registry = servingModels(store);
    try {
      const serving = (await registry.serve('g'))!;
      expect(serving.kind).toBe('mix');
      const { vocabulary } = serving;
      const corpus = store.corpus('g').sentences.map((tokens) => vocabulary.encode(tokens).ids);
      const trigram = KneserNeyTrigram.trainWithUnknownWords(corpus, vocabulary.size);
      for (const context of corpus.map((ids) => [BOS, ...ids.slice(0, 4)])) {
        const lstm = serving.lstm.nextDistribution(context);
        const kneserNey = trigram.distribution(context);
        const served = serving.language.model.nextDistribution(context);
        const product = (id: number): number => lstm[id]! ** lstmExponent * kneserNey[id]! ** kneserNeyExponent;
        let total = 0;
        for (let id = 0; id < vocabulary.size; id++) total += product(id);
        for (const id of [vocabulary.idOf('鱼'), vocabulary.idOf('骨头'), vocabulary.idOf('睡觉')]) {
          expect(served[id]).toBeCloseTo(product(id) / total, 6);
        }
      }
    } finally {
      await registry.close();
    }
  });

  it('answers with λ by word frequency as the stored choice weighs each class, its counts read per sentence', async () => {
    teachSentences(store, 'g', longRangeCorpus());
    await trainFull('g', { hyperparameters: { validationFraction: 0.3, maxEpochs: 4, embeddingSize: 8, hiddenSize: 16 } });
    const stored = store.servingModel('g')!;
    const metrics = readModelMetrics(stored.metrics);
    // Fitted on half the sentences the model counts (a word it saw m times is read as seen m / 2
    // times), the bound halfway up the words' counts.
    const { counts } = Vocabulary.fromJSON(stored.vocabulary).toJSON();
    const middle = [...counts.slice(FIRST_WORD_ID)].sort((x, y) => x - y)[Math.floor((counts.length - FIRST_WORD_ID) / 2)]!;
    const frequencyWeights = { countBounds: [middle / 2], lstmWeights: [0.1, 0.9], sentences: stored.corpusSentences / 2 };
    const servedModel = { ...metrics.servedModel!, served: 'mix', combination: 'linear', calibration: null, frequencyWeights };
    const digester = new CorpusDigester(store);
    const serving = await ServingModel.load({ ...stored, metrics: { ...metrics, servedModel } }, (guildId, vocabulary) => digester.digest(guildId, vocabulary));
    try {
      expect(serving.info.frequencyWeights).toEqual(frequencyWeights);
      const { vocabulary } = serving;
      const corpus = store.corpus('g').sentences.map((tokens) => vocabulary.encode(tokens).ids);
      const trigram = KneserNeyTrigram.trainWithUnknownWords(corpus, vocabulary.size);
      const lambdaOf = (id: number): number => ((id === EOS ? stored.corpusSentences : counts[id]!) >= middle ? 0.9 : 0.1);
      expect(counts.some((count, id) => id >= FIRST_WORD_ID && count < middle)).toBe(true);
      for (const context of corpus.slice(0, 5).map((ids) => [BOS, ...ids.slice(0, 3)])) {
        const lstm = serving.lstm.nextDistribution(context);
        const kneserNey = trigram.distribution(context);
        const served = serving.language.model.nextDistribution(context);
        const mixed = (id: number): number => lambdaOf(id) * lstm[id]! + (1 - lambdaOf(id)) * kneserNey[id]!;
        let total = 0;
        for (let id = 0; id < vocabulary.size; id++) total += mixed(id);
        for (let id = FIRST_WORD_ID; id < vocabulary.size; id++) expect(served[id]).toBeCloseTo(mixed(id) / total, 9);
      }
    } finally {
      serving.dispose();
      await digester.close();
    }
  });

  it('serves the n-gram model of an in-memory store, counted in this thread', async () => {
    const inMemory = openStore(':memory:');
    try {
      teachSentences(inMemory, 'g', templatedCorpus());
      inMemory.enqueueRun('g', { kind: 'full', trigger: 'cli' });
      const settings = { budgetMinutes: 1, hyperparameters: { validationFraction: 0.3, maxEpochs: 1, embeddingSize: 4, hiddenSize: 4, learningRate: 0.001 } };
      expect((await runTrainingJob(inMemory, inMemory.claimNextRun()!, { settings })).status).toBe('succeeded');
      await expectServedNgram(inMemory);
    } finally {
      inMemory.close();
    }
  });

  it('keeps the LSTM serving a corpus too small to cross-validate', async () => {
    teachSentences(store, 'g', TINY_CORPUS.slice(0, MIN_SENTENCES_FOR_CROSS_VALIDATION - 1));
    await trainFull('g');

    const metrics = readModelMetrics(store.servingModel('g')!.metrics);
    expect(metrics.servedModel).toBeNull();
    expect(metrics.search).toBeNull();
    const registry = servingModels(store);
    try {
      const serving = (await registry.serve('g'))!;
      expect(serving.kind).toBe('lstm');
      const prediction = predictNextWords(serving.language, '我 喜欢', 1);
      expect(prediction.status === 'ok' && prediction.predictions[0]?.word).toBe('吃');
    } finally {
      await registry.close();
    }
  });

  it('cross-validates the settings and the mixture of a corpus too small for a validation split', async () => {
    const sentences = longRangeCorpus();
    teachSentences(store, 'g', sentences);
    const summary = await trainFull('g');

    const stored = store.servingModel('g')!;
    const metrics = readModelMetrics(stored.metrics);
    // Every sentence was held out once, by a network that never trained on it.
    const choice = metrics.servedModel!;
    expect(choice.folds).toBe(CROSS_VALIDATION_FOLDS);
    expect(choice.targets).toBe(sentences.reduce((sum, sentence) => sum + sentence.split(' ').length + 1, 0));
    expect(mixturePerplexity(choice)).toBeLessThanOrEqual(Math.min(choice.lstmPerplexity, choice.kneserNeyPerplexity) + 1e-9);
    // The candidate whose folds predicted best won, and trained on every sentence for its best epochs.
    const { trials, folds } = metrics.search!;
    expect(folds).toBe(CROSS_VALIDATION_FOLDS);
    expect(trials).toHaveLength(3);
    const winner = trials.find((trial) => trial.outcome === 'won')!;
    expect(trials.filter((trial) => trial.outcome === 'lost')).toHaveLength(2);
    expect(winner.validationLoss).toBe(Math.min(...trials.map((trial) => trial.validationLoss!)));
    expect(metrics.history).toHaveLength(winner.epochs);
    expect(metrics.trainSentences).toBe(sentences.length);
    expect(summary.note).toMatch(/hyperparameter search over 5 folds: /);

    const registry = servingModels(store);
    try {
      const serving = (await registry.serve('g'))!;
      expect(serving.kind).toBe(choice.served);
      const prediction = predictNextWords(serving.language, '猫 今天 很 想 吃', 1);
      expect(prediction.status === 'ok' && prediction.predictions[0]?.word).toBe('鱼');
    } finally {
      await registry.close();
    }
  });

  it('keeps the cross-validated mixture through an incremental run, which has nothing to fit it on', async () => {
    teachSentences(store, 'g', longRangeCorpus());
    await trainFull('g');
    const crossValidated = readModelMetrics(store.servingModel('g')!.metrics).servedModel!;
    teachSentences(store, 'g', ['猫 今天 很 想 喝 水 。']);

    store.enqueueRun('g', { kind: 'incremental', trigger: 'cli' });
    const run = store.claimNextRun()!;
    const result = await runTrainingJob(store, run, { settings: { budgetMinutes: 1 } });
    expect(result).toMatchObject({ status: 'succeeded', modelVersion: 2 });
    expect(readRunSummary(store.getRun(run.id)!.summary)).toMatchObject({ mode: 'incremental' });
    expect(readModelMetrics(store.servingModel('g')!.metrics).servedModel).toEqual(crossValidated);
  });

  it("serves the LSTM, without a history, when the model's metrics do not read, and logs why", async () => {
    teachSentences(store, 'g', TINY_CORPUS);
    await trainFull('g');
    const database = new Database(path.join(dir, 'bot.sqlite'));
    database.prepare('UPDATE models SET metrics = ?').run(JSON.stringify({ ...readModelMetrics(store.servingModel('g')!.metrics), bestEpoch: null }));
    database.close();
    const logFile = path.join(dir, 'bot.log');
    const logger = createLogger({ level: 'warn', destination: { file: logFile } });
    const registry = servingModels(store, { logger });
    try {
      const serving = (await registry.serve('g'))!;
      expect(serving).toMatchObject({ kind: 'lstm', history: [], keptWeights: null });
      const prediction = predictNextWords(serving.language, '我 喜欢', 1);
      expect(prediction.status === 'ok' && prediction.predictions[0]?.word).toBe('吃');
    } finally {
      await registry.close();
    }
    logger.flush();
    const warning = JSON.parse(fs.readFileSync(logFile, 'utf8').trim()) as { msg: string; err: { message: string } };
    expect(warning.msg).toBe('serving model metrics could not be read; the LSTM answers');
    expect(warning.err.message).toBe('metrics.bestEpoch must be a number, got null');
  });
});

/** The registry serves the guild's n-gram: the 3-gram of its current sentences, counted once per model. */
async function expectServedNgram(source: Store): Promise<void> {
  const registry = servingModels(source);
  try {
    const serving = (await registry.serve('g'))!;
    expect(serving.kind).toBe('kneser-ney');
    const prediction = predictNextWords(serving.language, '他们 每天 早上', 1);
    expect(prediction).toMatchObject({ status: 'ok', truncated: true, contextUsed: ['每天', '早上'] });
    // Two words fill the trigram's window: nothing of the input is left out.
    expect(predictNextWords(serving.language, '每天 早上', 1)).toMatchObject({ status: 'ok', truncated: false, contextUsed: ['每天', '早上'] });
    expect(prediction.status === 'ok' && prediction.predictions[0]?.word).toBe('喝');

    const { vocabulary } = serving;
    const encoded = source.corpus('g').sentences.map((tokens) => vocabulary.encode(tokens).ids);
    const trained = KneserNeyTrigram.trainWithUnknownWords(encoded, vocabulary.size);
    for (const context of [[], ...encoded.map((ids) => ids.slice(0, 2)), ...encoded.map((ids) => ids.slice(2, 4))]) {
      expect(serving.language.model.nextDistribution(context)).toEqual(trained.distribution(context));
    }
    // `/explain` compares with the very model that serves, without reading the corpus again.
    const corpus = await serving.corpus();
    expect(await serving.corpus()).toBe(corpus);
    expect(KneserNeyTrigram.fromState(corpus.trigram).distribution([])).toEqual(trained.distribution([]));
  } finally {
    await registry.close();
  }
}
