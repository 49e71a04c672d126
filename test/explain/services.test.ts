import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBotServices } from '../../src/app/bot-services.ts';
import { DEFAULT_MODEL_CACHE } from '../../src/app/model-registry.ts';
import { createServingPool, MAX_WAITING_JOBS, type ServingPool } from '../../src/app/serving-pool.ts';
import type { BotServices } from '../../src/app/services.ts';
import { initBackend } from '../../src/lm/backend.ts';
import { packModel } from '../../src/lm/model-package.ts';
import { dedupeKey } from '../../src/lm/tokenizer.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { DISCORD_LIMITS } from '../../src/text/limits.ts';
import { createTrainingService, type TrainingService } from '../../src/training/service.ts';
import { explanationOf, servingModels, type ServingModels } from '../support/serving-models.ts';
import { corpusSentences, trainFixture } from './fixture.ts';

const GUILD = '900000000000000001';
const EMPTY_GUILD = '900000000000000002';

let dir: string;
let store: Store;
let models: ServingModels;
let serving: ServingPool;
let training: TrainingService;
let services: BotServices;

beforeAll(async () => {
  await initBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-services-'));
  const dbPath = path.join(dir, 'bot.sqlite');
  store = openStore(dbPath);
  // The fixture repeats sentences on purpose; the store keeps each sentence once.
  const distinct = [...new Map(corpusSentences.map((tokens) => [dedupeKey(tokens), tokens])).values()];
  store.addSentences(
    distinct.map((tokens) => ({ guildId: GUILD, channelId: null, authorId: '1', text: tokens.join(' '), tokens, dedupeKey: dedupeKey(tokens), source: 'console' as const })),
  );
  const { model, vocabulary } = await trainFixture();
  const packed = await packModel(model, vocabulary);
  model.dispose();
  store.saveModel(
    { guildId: GUILD, ...packed, metrics: {}, corpusSentences: distinct.length, corpusRevision: store.corpusRevision(GUILD) },
    { promote: true },
  );
  models = servingModels(store);
  serving = createServingPool(store, { threads: 1, maxWaiting: MAX_WAITING_JOBS, whenFull: 'refuse', backend: 'wasm', cache: DEFAULT_MODEL_CACHE, models: models.models });
  training = createTrainingService({ store, dbPath, config: { intervalMinutes: 60, retrainMinChanges: 5, concurrency: 1, budgetMinutes: 1 } });
  // One pool serves every kind of job here: what is tested is what the jobs answer.
  services = createBotServices({ store, models: models.models, serving, predictions: serving, training, settings: { retrainMinChanges: 5 } });
});

afterAll(async () => {
  await training.stop();
  await serving.close();
  await models.close();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('BotServices.explain', () => {
  it('explains the text on the guild’s serving model, in the member’s language, with a chart', async () => {
    const outcome = await explanationOf(services, GUILD, { text: 'the cat we met near the river', locale: 'zh-TW' });
    if (outcome.status !== 'ok') throw new Error(`expected an explanation, got ${outcome.status}`);
    expect(outcome.model.version).toBe(1);
    expect(outcome.pages.length).toBeGreaterThan(1);
    expect(outcome.pages.every((page) => page.length <= DISCORD_LIMITS.content)).toBe(true);
    expect(outcome.pages[0]).toContain('記憶隨距離衰減');
    expect(outcome.pages.join('\n')).toContain('三元模型');
    expect(outcome.chart?.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('gives the overview with an example from the stored sentences when no text is given', async () => {
    const outcome = await explanationOf(services, GUILD, { locale: 'en' });
    if (outcome.status !== 'ok') throw new Error(`expected an explanation, got ${outcome.status}`);
    expect(outcome.pages).toHaveLength(1);
    const example = /After `([^`]+)` \(from your sentences\)/.exec(outcome.pages[0] ?? '')?.[1];
    expect(example).toBeDefined();
    expect(corpusSentences.some((sentence) => sentence.join(' ').startsWith(example!))).toBe(true);
  });

  it('never shows as an example a sentence deleted after the corpus was read', async () => {
    expect((await explanationOf(services, GUILD, { locale: 'en' })).status).toBe('ok');
    store.deleteSentencesByAuthor(GUILD, '1');
    const outcome = await explanationOf(services, GUILD, { locale: 'en' });
    if (outcome.status !== 'ok') throw new Error(`expected an explanation, got ${outcome.status}`);
    expect(outcome.pages[0]).toContain('no sentence long enough');
  });

  it('reports a guild without a model and how many sentences it still needs', async () => {
    expect(await explanationOf(services, EMPTY_GUILD, { text: 'the cat', locale: 'en' })).toEqual({ status: 'no_model', sentences: 0, sentencesNeeded: 5 });
  });
});
