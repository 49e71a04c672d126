/**
 * `/forget` through the real application (SQLite file, training, corpus and serving threads): a
 * forgotten sentence stops shaping the served 3-gram and what `/explain` quotes at once, its server
 * is due a full retrain (batched by the schedule, not started at once), and its text leaves the
 * database file and its write-ahead log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/create-app.ts';
import type { PredictOutcome } from '../../src/app/services.ts';
import { loadConfig } from '../../src/config.ts';
import { explanationOf } from '../support/serving-models.ts';
import { waitUntil } from '../support/wait-until.ts';
import { templatedCorpus } from '../training/corpus.ts';

const GUILD = 'g';
const MEMBER = 'member';
/** A sentence with a word no other sentence has, after a context the corpus knows well. */
const UNIQUE = '她们 每天 早上 喝 zebracola 。';
/** Taught after training: its word is outside the model's vocabulary, counted by the corpus digest. */
const UNKNOWN = '他们 每天 早上 喝 pinguinsaft 。';

let dir: string;
let app: App;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forget-'));
  const config = loadConfig({
    DB_PATH: path.join(dir, 'bot.sqlite'),
    TF_BACKEND: 'wasm',
    // Only the runs this test asks for train.
    RETRAIN_INTERVAL_MINUTES: '600',
    RETRAIN_MIN_CHANGES: '100000',
  });
  // One epoch of a tiny network: the 3-gram predicts the validation sentences better and serves.
  const job = { hyperparameters: { validationFraction: 0.3, maxEpochs: 1, embeddingSize: 4, hiddenSize: 4, learningRate: 0.001 } };
  app = await createApp(config, pino({ level: 'silent' }), { schedule: true, training: { job } });
});

afterEach(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function teach(text: string): Promise<number> {
  const outcome = await app.services.teach({ guildId: GUILD, channelId: null, authorId: MEMBER, text, source: 'console' });
  if (outcome.status !== 'added') throw new Error(`${text} was not taught: ${outcome.status}`);
  return outcome.id;
}

const words = (outcome: PredictOutcome): string[] => (outcome.status === 'ok' ? outcome.predictions.map((prediction) => prediction.word) : []);

/** Whether the database file or its write-ahead log holds the text. */
function onDisk(text: string): boolean {
  const needle = Buffer.from(text);
  return ['bot.sqlite', 'bot.sqlite-wal'].some((file) => {
    const bytes = fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file)) : Buffer.alloc(0);
    return bytes.includes(needle);
  });
}

describe('forgetting a sentence', () => {
  it('takes it out of the served predictions and the corpus /explain quotes at once, leaves the LSTM to the next scheduled full retrain, and erases it from the disk', async () => {
    for (const sentence of templatedCorpus()) await teach(sentence);
    const unique = await teach(UNIQUE);
    const trained = await app.training.requestRetrain(GUILD, { full: true, requestedBy: 'moderator' }).done;
    expect(trained.status).toBe('succeeded');
    const unknown = await teach(UNKNOWN);

    const before = await app.services.predict(GUILD, '每天 早上 喝', 5);
    expect(before.status === 'ok' && before.model.kind).toBe('kneser-ney');
    expect(words(before)).toContain('zebracola');
    expect(await app.services.complete(GUILD, '每天 早上 喝', 5)).toContain('每天 早上 喝 zebracola');
    const explainUnknown = { text: '喝 pinguinsaft', topic: 'unknown', locale: 'en' } as const;
    const explained = await explanationOf(app.services, GUILD, explainUnknown);
    expect(explained.status === 'ok' && explained.pages.join('\n')).toContain("It occurs 1 time in this server's sentences now");
    expect(onDisk(UNIQUE)).toBe(true);

    expect(await app.services.forgetSentence(GUILD, unique, MEMBER)).toBe(true);
    expect(await app.services.forgetSentence(GUILD, unknown, MEMBER)).toBe(true);

    expect(words(await app.services.predict(GUILD, '每天 早上 喝', 5))).not.toContain('zebracola');
    expect(await app.services.complete(GUILD, '每天 早上 喝', 5)).not.toContain('每天 早上 喝 zebracola');
    const explainedAfter = await explanationOf(app.services, GUILD, explainUnknown);
    expect(explainedAfter.status === 'ok' && explainedAfter.pages.join('\n')).not.toContain('It occurs');
    // The LSTM learned from the sentences: the schedule's next full retrain leaves them out, no run starts now.
    expect(app.store.removalsPending(GUILD)).toBe(true);
    expect(app.store.latestRuns(GUILD, 1)[0]).toMatchObject({ trigger: 'command', kind: 'full', status: 'succeeded' });
    expect(await waitUntil(() => !onDisk(UNIQUE) && !onDisk(UNKNOWN), 10_000)).toBe(true);
  });
});
