/**
 * What members and operators are told of a failed run: on the real app (SQLite, the training
 * worker), members see a cause and the run as reference, the command line the stored error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/create-app.ts';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { TINY_CORPUS, teachSentences } from '../training/corpus.ts';
import { GUILD, runLine } from '../support/run-command.ts';

let app: App | undefined;
let dir: string | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

async function cliOutput(...args: string[]): Promise<string> {
  let out = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += String(chunk);
      done();
    },
  });
  expect(await main(args, sink, sink)).toBe(0);
  return out;
}

it('shows members the cause of a failed run and its reference, never the stored error', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-failures-'));
  const dbPath = path.join(dir, 'bot.sqlite');
  const config = loadConfig({ DB_PATH: dbPath, TF_BACKEND: 'cpu', RETRAIN_MIN_CHANGES: '1000' });
  const logger = createLogger({ level: 'silent' });
  // An impossible network size makes the job throw inside the worker.
  app = await createApp(config, logger, { schedule: true, training: { job: { hyperparameters: { hiddenSize: -1 } } } });
  teachSentences(app.store, GUILD, TINY_CORPUS);

  const retrain = await runLine('/retrain', { services: app.services });
  const failedRun = app.store.latestRuns(GUILD, 1)[0]!;
  expect(failedRun.error).toBe('hiddenSize must be a positive integer, got -1');
  expect(retrain.at(-1)?.text).toBe(`The training failed: an internal error occurred (reference: run ${failedRun.id}).`);
  const chinese = await runLine('/stats', { services: app.services, locale: 'zh-TW' });
  expect(chinese[0]?.text).toContain(`發生了內部錯誤（參考：訓練編號 ${failedRun.id}）`);
  expect(chinese[0]?.text).not.toContain('hiddenSize');

  // A crashed worker's message can name the machine's files.
  const crashed = app.store.enqueueRun(GUILD, { kind: 'full', trigger: 'command' }).run;
  const error = `training worker failed: Cannot find module '${path.join(dir, 'src', 'lm', 'engine', 'kernels.ts')}'`;
  app.store.finishRun(crashed.id, { status: 'failed', error });
  const stats = await runLine('/stats', { services: app.services });
  expect(stats[0]?.text).toContain(`the training stopped unexpectedly (reference: run ${crashed.id})`);
  expect(stats[0]?.text).not.toContain(dir);
  expect(stats[0]?.text).not.toContain('Cannot find module');

  // The operator's command line keeps the detail.
  await app.close();
  app = undefined;
  expect(await cliOutput('stats', '--db', dbPath, '--guild', GUILD)).toContain(`last run #${crashed.id}: failed (${error})`);
}, 60_000);

it('fails a run over the worker heap limit alone, and shows the attempt in /stats', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-failures-'));
  const config = loadConfig({ DB_PATH: path.join(dir, 'bot.sqlite'), TF_BACKEND: 'cpu', RETRAIN_MIN_CHANGES: '1000', TRAINING_WORKER_MAX_HEAP_MB: '8' });
  app = await createApp(config, createLogger({ level: 'silent' }), { schedule: true });
  teachSentences(app.store, GUILD, TINY_CORPUS);

  const retrain = await runLine('/retrain', { services: app.services });
  const run = app.store.latestRuns(GUILD, 1)[0]!;
  expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/out of memory/i) });
  expect(retrain.at(-1)?.text).toBe(`The training failed: it ran out of memory (reference: run ${run.id}).`);
  const [stats] = await runLine('/stats', { services: app.services });
  expect(stats?.text).toMatch(/Next retrain: 1 of 5 attempts failed; the next one in \d+ minutes/);
  // The bot itself carries on.
  expect(await app.services.teach({ guildId: GUILD, channelId: null, authorId: 'a', text: 'still here', source: 'console' })).toMatchObject({ status: 'added' });
}, 60_000);
