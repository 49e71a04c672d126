/**
 * The command-level limits of fair scheduling on the real app (SQLite, training in worker
 * threads): a full retrain once per interval and server, whoever asks, and `/forget`'s cooldown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/create-app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { TINY_CORPUS, teachSentences } from '../training/corpus.ts';
import { ALICE, BOB, GUILD, MEMBER, commandsWith, runLine, start } from '../support/run-command.ts';

let app: App | undefined;
let dir: string | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

async function openApp(): Promise<App> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fair-retrain-'));
  const config = loadConfig({ DB_PATH: path.join(dir, 'bot.sqlite'), TF_BACKEND: 'cpu', RETRAIN_MIN_CHANGES: '1000', FORGET_COOLDOWN_PER_MINUTE: '2' });
  app = await createApp(config, createLogger({ level: 'silent' }), { schedule: true });
  return app;
}

it('allows one full retrain per interval, whoever asked for the last one, and warm starts meanwhile', async () => {
  const { services, store, config } = await openApp();
  teachSentences(store, GUILD, TINY_CORPUS);
  // Without the dispatcher's cooldowns: the service itself refuses a full retrain that is not due.
  expect((await runLine('/retrain full:true', { services })).at(-1)?.text).toContain('Training finished');
  const refused = await runLine('/retrain full:true', { services });
  expect(refused.at(-1)?.text).toMatch(/^This server had a full retrain recently; the next one can start in 5 h 59 min\./);
  expect(store.latestRuns(GUILD, 10)).toHaveLength(1);
  teachSentences(store, GUILD, ['猫 喜欢 吃 鱼 。']);
  expect((await runLine('/retrain', { services })).at(-1)?.text).toContain('Training finished');
  expect(store.latestRuns(GUILD, 1)[0]?.kind).toBe('incremental');

  // The command's own cooldown refuses a second request in the same process before it reaches the service.
  const registry = await commandsWith({ cooldowns: config });
  const other = '999999999999999999';
  teachSentences(store, other, TINY_CORPUS);
  const first = await start('retrain', { full: true }, { services, guildId: other, registry });
  const second = await start('retrain', { full: true }, { services, guildId: other, registry, locale: 'zh-CN' });
  await Promise.all([first.finished, second.finished]);
  expect(first.outputs.at(-1)?.text).toContain('Training finished');
  expect(second.outputs).toHaveLength(1);
  expect(second.outputs[0]?.text).toMatch(/^本服务器最近刚完整重新训练过，下一次要等 6小时 后才能开始。/);
  expect(store.latestRuns(other, 10)).toHaveLength(1);
}, 120_000);

it('limits how fast a member removes sentences, counting only removals that happened', async () => {
  const { services, store, config } = await openApp();
  teachSentences(store, GUILD, ['one two', 'three four', 'five six', 'seven eight'], ALICE.id);
  teachSentences(store, GUILD, ['nine ten'], BOB.id);
  const registry = await commandsWith({ cooldowns: config });
  const ids = store.corpusEntries(GUILD).map((entry) => entry.id);
  const forget = async (line: string, user = ALICE) => (await runLine(line, { services, registry, user, permissions: MEMBER }))[0]?.text;
  // Bob's sentence is not Alice's to remove: nothing removed, nothing counted.
  expect(await forget(`/forget ${ids[4]}`)).toBe(`There is no sentence #${ids[4]} of yours in this server.`);
  expect(await forget(`/forget ${ids[0]}`)).toBe(`Sentence #${ids[0]} was removed.`);
  expect(await forget(`/forget ${ids[1]}`)).toBe(`Sentence #${ids[1]} was removed.`);
  expect(await forget(`/forget ${ids[2]}`)).toBe('You are removing sentences very fast. Please wait 60 seconds and try again.');
  expect(await forget(`/forget ${ids[4]}`, BOB)).toBe(`Sentence #${ids[4]} was removed.`);
  expect(store.countSentences(GUILD)).toBe(2);
}, 60_000);
