/**
 * `/generate`, `/explain`, `/predict` and autocomplete on the real application: they run in serving
 * threads that load the model themselves from SQLite, explanations are measured one at a time with
 * a short queue, and predictions have a thread of their own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPLANATIONS_WAITING } from '../../src/app/bot-services.ts';
import { createApp, type App } from '../../src/app/create-app.ts';
import type { ServingJob } from '../../src/app/serving-jobs.ts';
import { createServingPool, ServingBusyError } from '../../src/app/serving-pool.ts';
import { DEFAULT_MODEL_CACHE } from '../../src/app/model-registry.ts';
import { loadConfig } from '../../src/config.ts';
import { initBackend } from '../../src/lm/backend.ts';
import { packModel, type ModelPackage } from '../../src/lm/model-package.ts';
import { SERVING_NICE } from '../../src/threads/priority.ts';
import { trainFixture } from '../explain/fixture.ts';
import { loweredTo, threadNiceValues } from '../support/thread-priority.ts';

let packed: ModelPackage;

beforeAll(async () => {
  await initBackend('wasm');
  const { model, vocabulary } = await trainFixture();
  packed = await packModel(model, vocabulary);
  model.dispose();
});

/** An application on a fresh database (a file, or in memory), the fixture model serving guild `g`. */
async function withApp(dbPath: (dir: string) => string, use: (app: App) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serving-pool-'));
  const app = await createApp(loadConfig({ DB_PATH: dbPath(dir), TF_BACKEND: 'wasm' }), pino({ level: 'silent' }), { schedule: false });
  try {
    app.store.saveModel({ guildId: 'g', ...packed, metrics: {}, corpusSentences: 0, corpusRevision: 0 }, { promote: true });
    await use(app);
  } finally {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const inFile = (dir: string): string => path.join(dir, 'bot.sqlite');

describe('the serving threads', () => {
  it('generate, explain, predict and complete on a model the main thread never loads', async () => {
    await withApp(inFile, async (app) => {
      const generated = await app.services.generate('g', 'the cat', 50, 1);
      expect(generated).toMatchObject({ status: 'ok', start: ['the', 'cat'], model: { version: 1 } });
      const admission = app.services.explain('g', { text: 'the cat we met near the river', locale: 'en' });
      if (admission.status !== 'queued') throw new Error('expected the explanation to be queued');
      const explained = await admission.outcome;
      expect(explained.status === 'ok' && explained.chart?.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(await app.services.predict('g', 'the cat', 3)).toMatchObject({ status: 'ok', tokens: ['the', 'cat'], model: { version: 1 } });
      const suggestions = await app.services.complete('g', 'the cat', 3);
      expect(suggestions).toHaveLength(3);
      for (const suggestion of suggestions) expect(suggestion).toMatch(/^the cat \S/);
      expect(app.models.stats().loads).toBe(0);
    });
  });

  it('answer a prediction in this thread when its thread is busy and the queue is full, and refuse a slow job', async () => {
    await withApp(inFile, async (app) => {
      const pool = (whenFull: 'refuse' | 'run-here') => createServingPool(app.store, { threads: 1, maxWaiting: 0, whenFull, backend: 'wasm', cache: DEFAULT_MODEL_CACHE, models: app.models });
      const predictions = pool('run-here');
      const slow = pool('refuse');
      try {
        const [inThread, here] = await Promise.all([1, 2].map(() => predictions.run({ kind: 'predict', guildId: 'g', text: 'the cat', count: 3 })));
        expect(here).toEqual(inThread);
        expect(here).toMatchObject({ status: 'ok', model: { version: 1 } });
        expect(app.models.stats().loads).toBe(1);

        const generate: ServingJob = { kind: 'generate', guildId: 'g', start: ['the'], length: 5, temperature: 1, seed: 1 };
        const [accepted, refused] = await Promise.allSettled([slow.run(generate), slow.run(generate)]);
        expect(accepted).toMatchObject({ status: 'fulfilled', value: { status: 'ok' } });
        expect(refused).toMatchObject({ status: 'rejected', reason: expect.any(ServingBusyError) });
      } finally {
        await Promise.all([predictions.close(), slow.close()]);
      }
    });
  });

  it.runIf(process.platform === 'linux')('run below the priority of the thread that answers members', async () => {
    await withApp(inFile, async (app) => {
      const ownPriority = os.getPriority(0);
      expect((await app.services.generate('g', 'the cat', 5, 1)).status).toBe('ok');
      expect(threadNiceValues()).toContain(loweredTo(SERVING_NICE));
      expect(os.getPriority(0)).toBe(ownPriority);
    });
  });

  it('measure one explanation at a time, a few more waiting, and refuse the rest at once', async () => {
    await withApp(inFile, async (app) => {
      const requests = Array.from({ length: EXPLANATIONS_WAITING + 3 }, (_, index) => app.services.explain('g', { text: `the cat ${index}`, locale: 'en' }));
      expect(requests.map((admission) => admission.status)).toEqual([
        ...Array.from({ length: EXPLANATIONS_WAITING + 1 }, () => 'queued'),
        'busy',
        'busy',
      ]);
      const outcomes = await Promise.all(requests.flatMap((admission) => (admission.status === 'queued' ? [admission.outcome] : [])));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(Array.from({ length: EXPLANATIONS_WAITING + 1 }, () => 'ok'));
      // Once they are measured, the queue takes new ones again.
      const again = app.services.explain('g', { locale: 'en' });
      expect(again.status === 'queued' && (await again.outcome).status).toBe('ok');
    });
  });

  it('run in this thread for an in-memory store, which no other thread can see', async () => {
    await withApp(
      () => ':memory:',
      async (app) => {
        expect(await app.services.generate('g', 'the cat', 5, 1)).toMatchObject({ status: 'ok', model: { version: 1 } });
        expect(app.models.stats().loads).toBe(1);
      },
    );
  });
});
