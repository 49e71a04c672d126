/**
 * The Prometheus endpoint of the real bot process (`METRICS_PORT` set), scraped over HTTP after
 * members used it through the loopback fake Discord and a moderator retrained.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../support/fake-discord.ts';
import { snowflake } from '../support/interactions.ts';
import { startBot, type BotProcess } from './bot-process.ts';
import { Driver, MODERATOR_PERMISSIONS, temporaryFolder } from './driver.ts';

const GUILD = { id: snowflake(), name: 'Counting House' };
const SENTENCES = ['我 喜欢 玩具', '我 讨厌 挨打', '我 爱 爸爸'];
const MEMBER_ID = snowflake();

let fake: FakeDiscord;
let bot: BotProcess;
let folder: ReturnType<typeof temporaryFolder>;
let metricsUrl: string;

/** The value of the sample named `name` whose labels include `labels`, or undefined. */
function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of body.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(): Promise<string> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

beforeAll(async () => {
  folder = temporaryFolder('lstm-bot-metrics-');
  fake = new FakeDiscord({ guilds: [GUILD] });
  await fake.start();
  bot = await startBot({ fake, dbPath: path.join(folder.dir, 'bot.sqlite'), env: { METRICS_PORT: '0' } });
  metricsUrl = String((await bot.waitForLog((line) => line.msg === 'metrics served')).url);

  const driver = new Driver(fake);
  for (const sentence of SENTENCES) await driver.text(driver.command(GUILD.id, 'teach', { sentence }, { userId: MEMBER_ID }));
  // Refused: a member without Manage Server.
  await driver.text(driver.command(GUILD.id, 'retrain', {}, { userId: MEMBER_ID }));
  const retrain = driver.command(GUILD.id, 'retrain', { full: true }, { permissions: MODERATOR_PERMISSIONS });
  await fake.waitFor(retrain, (response) => response.kind === 'edit' && response.files.length > 0, 60_000);
  await driver.text(driver.command(GUILD.id, 'predict', { text: '我 喜欢' }));
  await driver.callback(driver.autocomplete(GUILD.id, 'predict', { text: '我' }, 'text'));
  await driver.text(driver.directMessage('stats'));
  // /predict and autocomplete run in the prediction thread; /stats reads the model on this one.
  await driver.text(driver.command(GUILD.id, 'stats', {}));
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  await fake?.stop();
  folder?.remove();
});

describe('the metrics endpoint', () => {
  it('listens on the loopback interface by default', () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  });

  it('counts interactions by command, kind and outcome, with their reply latency', async () => {
    const body = await scrape();
    expect(sample(body, 'lstm_bot_interactions_total', { command: 'teach', kind: 'command', outcome: 'ok' })).toBe(3);
    expect(sample(body, 'lstm_bot_interactions_total', { command: 'retrain', outcome: 'missing_permission' })).toBe(1);
    expect(sample(body, 'lstm_bot_interactions_total', { command: 'retrain', outcome: 'ok' })).toBe(1);
    expect(sample(body, 'lstm_bot_interactions_total', { command: 'predict', kind: 'autocomplete', outcome: 'ok' })).toBe(1);
    expect(sample(body, 'lstm_bot_interactions_total', { command: 'stats', outcome: 'guild_only' })).toBe(1);
    // Every interaction was answered within Discord's 3 seconds.
    expect(sample(body, 'lstm_bot_reply_latency_seconds_count', { command: 'teach', kind: 'command' })).toBe(3);
    expect(sample(body, 'lstm_bot_reply_latency_seconds_bucket', { command: 'teach', kind: 'command', le: '3' })).toBe(3);
    expect(sample(body, 'lstm_bot_reply_latency_seconds_count', { command: 'predict', kind: 'command' })).toBe(1);
    // The deferred /retrain's handling lasted until its summary, longer than its acknowledgement.
    const retrainHandled = sample(body, 'lstm_bot_interaction_seconds_sum', { command: 'retrain', kind: 'command' })!;
    const retrainAnswered = sample(body, 'lstm_bot_reply_latency_seconds_sum', { command: 'retrain', kind: 'command' })!;
    expect(retrainHandled).toBeGreaterThan(retrainAnswered);
  });

  it('reports training runs, the queue, the models in memory and each server’s sentences', async () => {
    const body = await scrape();
    expect(sample(body, 'lstm_bot_training_runs_total', { status: 'succeeded', kind: 'full' })).toBe(1);
    expect(sample(body, 'lstm_bot_training_run_seconds_count', { status: 'succeeded', kind: 'full' })).toBe(1);
    expect(sample(body, 'lstm_bot_training_run_seconds_sum', { status: 'succeeded', kind: 'full' })).toBeGreaterThan(0);
    expect(sample(body, 'lstm_bot_training_runs_active', { state: 'queued' })).toBe(0);
    expect(sample(body, 'lstm_bot_training_runs_active', { state: 'running' })).toBe(0);
    // The guild's model is held where it answered: /stats here, /predict and autocomplete in the prediction thread.
    expect(sample(body, 'lstm_bot_models_loaded', { thread: 'main' })).toBe(1);
    expect(sample(body, 'lstm_bot_models_loaded', { thread: 'predictions' })).toBe(1);
    expect(sample(body, 'lstm_bot_models_loaded', { thread: 'serving' })).toBe(0);
    expect(sample(body, 'lstm_bot_model_bytes', { thread: 'predictions' })).toBeGreaterThan(1000);
    expect(sample(body, 'lstm_bot_sentences', { guild: GUILD.id })).toBe(3);
    expect(sample(body, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('names no member and repeats no sentence', async () => {
    const body = await scrape();
    expect(body).not.toContain(MEMBER_ID);
    for (const word of ['喜欢', '讨厌', '玩具']) expect(body).not.toContain(word);
  });

  it('answers other paths with 404', async () => {
    const response = await fetch(metricsUrl.replace(/\/metrics$/, '/'));
    expect(response.status).toBe(404);
  });
});
