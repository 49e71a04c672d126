import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/create-app.ts';
import { FAILED_LOAD_RETRY_MS, ModelUnavailableError, type ServingModel } from '../../src/app/model-registry.ts';
import { loadConfig } from '../../src/config.ts';
import { initBackend } from '../../src/lm/backend.ts';
import { packModel, type ModelPackage } from '../../src/lm/model-package.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { trainFixture } from '../explain/fixture.ts';
import { sentence, model as unloadableModel } from '../store/helpers.ts';
import { explanationOf, servingModels, type ServingModels } from '../support/serving-models.ts';

let packed: ModelPackage;
let dir: string;

beforeAll(async () => {
  await initBackend('wasm');
  const { model, vocabulary } = await trainFixture();
  packed = await packModel(model, vocabulary);
  model.dispose();
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-registry-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Stores the fixture model as the guild's next version, serving at once. */
function promoteFixture(store: Store, guildId: string): number {
  return store.saveModel({ guildId, ...packed, metrics: {}, corpusSentences: 0, corpusRevision: store.corpusRevision(guildId) }, { promote: true }).version;
}

describe('a model in use', () => {
  let app: App;

  beforeEach(async () => {
    app = await createApp(loadConfig({ DB_PATH: path.join(dir, 'bot.sqlite'), TF_BACKEND: 'wasm' }), pino({ level: 'silent' }), { schedule: false });
  });

  afterEach(async () => {
    await app.close();
  });

  it('finishes an explanation when a newer model replaces the one serving meanwhile', async () => {
    promoteFixture(app.store, 'g');
    expect((await app.services.predict('g', 'the cat', 3)).status).toBe('ok');
    // The explanation first reads the corpus in a worker thread; the newer model loads meanwhile.
    const explaining = explanationOf(app.services, 'g', { text: 'the cat we met', locale: 'en' });
    promoteFixture(app.store, 'g');
    const predicted = await app.services.predict('g', 'the cat', 3);
    expect(predicted.status === 'ok' && predicted.model.version).toBe(2);
    // The serving thread reads which model serves when the job reaches it: either model may
    // answer, and neither is disposed under it.
    expect((await explaining).status).toBe('ok');
  });
});

describe('the models in memory', () => {
  let store: Store;
  let registry: ServingModels;
  let now: number;
  /** Bytes one fixture model holds. */
  let modelBytes: number;

  beforeEach(async () => {
    store = openStore(path.join(dir, 'bot.sqlite'));
    now = 0;
    const probe = servingModels(store);
    promoteFixture(store, 'probe');
    modelBytes = (await probe.serve('probe'))!.bytes;
    await probe.close();
  });

  afterEach(async () => {
    await registry.close();
    store.close();
  });

  /** A registry over the store whose budget fits `models` fixture models and a half. */
  function registryFitting(models: number, idleMs = 60_000): ServingModels {
    registry = servingModels(store, { settings: { budgetBytes: Math.floor((models + 0.5) * modelBytes), idleMs }, now: () => now });
    return registry;
  }

  /** The guild's model, used once and let go; returned to see whether it was disposed since. */
  async function useOnce(guildId: string): Promise<ServingModel> {
    const serving = await registry.models.use(guildId, (found) => found!);
    now += 1;
    return serving;
  }

  it('keeps within the byte budget, the least recently used model out first', async () => {
    registryFitting(2);
    for (const guildId of ['a', 'b', 'c']) promoteFixture(store, guildId);
    const a = await useOnce('a');
    const b = await useOnce('b');
    await useOnce('a');
    const c = await useOnce('c');
    expect(b.lstm.disposed).toBe(true);
    expect([a, c].map((serving) => serving.lstm.disposed)).toEqual([false, false]);
    expect(registry.models.stats()).toMatchObject({ entries: 2, loads: 3, evictedForBudget: 1 });
    expect(registry.models.stats().bytes).toBeLessThanOrEqual(2.5 * modelBytes);
  });

  it('never disposes a model in use, over the budget or replaced, until it is let go', async () => {
    registryFitting(1);
    for (const guildId of ['a', 'b']) promoteFixture(store, guildId);
    const held = (await registry.serve('a'))!;
    await useOnce('b');
    promoteFixture(store, 'a');
    const newer = await useOnce('a');
    expect(newer.version).toBe(2);
    expect(held.lstm.disposed).toBe(false);
    expect(held.language.model.nextDistribution([2]).length).toBe(held.vocabulary.size);
    await registry.close();
    expect(held.lstm.disposed).toBe(true);
  });

  it('releases a model nobody used for the idle time', async () => {
    registryFitting(10, 60_000);
    for (const guildId of ['a', 'b']) promoteFixture(store, guildId);
    const a = await useOnce('a');
    now += 30_000;
    const b = await useOnce('b');
    now += 40_000;
    await registry.models.use('b', () => undefined);
    expect(a.lstm.disposed).toBe(true);
    expect(b.lstm.disposed).toBe(false);
    expect(registry.models.stats()).toMatchObject({ entries: 1, evictedIdle: 1 });
  });

  it('answers a model that failed to load as unavailable without loading it again, until a while has passed or a new version serves', async () => {
    registryFitting(10);
    store.saveModel(unloadableModel('a', 0), { promote: true });
    const attempt = () => registry.models.use('a', (serving) => serving);
    await expect(attempt()).rejects.toBeInstanceOf(ModelUnavailableError);
    await expect(attempt()).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(registry.models.stats()).toMatchObject({ loads: 1, refusedAfterFailure: 1 });

    now += FAILED_LOAD_RETRY_MS;
    await expect(attempt()).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(registry.models.stats().loads).toBe(2);

    promoteFixture(store, 'a');
    expect((await attempt())?.version).toBe(2);
    expect(registry.models.stats().loads).toBe(3);
  });

  it('counts the digested corpus in the memory a model holds', async () => {
    registryFitting(10);
    promoteFixture(store, 'a');
    const sentences = Array.from({ length: 200 }, (_, index) => `the cat we met near the river ${index}`);
    store.addSentences(sentences.map((text) => sentence('a', 'm', text)));
    const bytes = await registry.models.use('a', async (serving) => {
      const before = serving!.bytes;
      await serving!.corpus();
      return { before, after: serving!.bytes };
    });
    expect(bytes.after).toBeGreaterThan(bytes.before);
    expect(registry.models.stats().bytes).toBe(bytes.after);
  });
});
