/**
 * Faults around the real bot process: the gateway dropping the connection, Discord's REST API
 * failing or rate-limiting a reply, a wrong token at start, and the process killed with SIGKILL
 * right after a `/teach` or in the middle of a training run.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { importLines } from '../../src/app/corpus-import.ts';
import { openStore } from '../../src/store/index.ts';
import { FakeDiscord } from '../support/fake-discord.ts';
import { snowflake } from '../support/interactions.ts';
import { LEVEL, spawnBot, startBot, type BotProcess } from './bot-process.ts';
import { Driver, MODERATOR_PERMISSIONS, answeringVersion, generatedSentences, queryDatabase, temporaryFolder } from './driver.ts';

const GUILD = { id: snowflake(), name: 'Fault Line' };
/** Every interaction callback: nothing else calls the REST API while these tests run. */
const CALLBACK = /^\/interactions\/\d+\/[^/]+\/callback$/;

let fake: FakeDiscord;
let driver: Driver;
let folder: ReturnType<typeof temporaryFolder>;
/** Bots started by the running test; all are ended after it, whatever happened. */
let bots: BotProcess[] = [];

beforeAll(async () => {
  folder = temporaryFolder('lstm-bot-faults-');
  fake = new FakeDiscord({ guilds: [GUILD] });
  await fake.start();
  driver = new Driver(fake);
});

afterAll(async () => {
  await fake?.stop();
  folder?.remove();
});

const freshDatabase = (): string => path.join(folder.dir, `${snowflake()}.sqlite`);

async function launch(dbPath: string, env?: Record<string, string>): Promise<BotProcess> {
  const bot = spawnBot({ fake, dbPath, ...(env === undefined ? {} : { env }) });
  bots.push(bot);
  await bot.ready();
  return bot;
}

async function endBots(): Promise<void> {
  await Promise.all(bots.map((bot) => bot.stop('SIGKILL')));
  bots = [];
}

const teach = (sentence: string) => driver.command(GUILD.id, 'teach', { sentence }, { userId: snowflake() });

const callbackStatuses = (token: string): number[] =>
  fake.requests.filter((request) => CALLBACK.test(request.path) && request.path.includes(token)).map((request) => request.status);

describe('network faults', () => {
  let bot: BotProcess;

  beforeAll(async () => {
    bot = await startBot({ fake, dbPath: freshDatabase() });
  });

  afterAll(async () => {
    await bot?.stop();
  });

  afterEach(() => {
    // Every fault was used up by the interaction it was meant for, and the bot is still up.
    expect(bot.exit).toBeNull();
  });

  it('resumes after the gateway closes the connection with 4000 and answers the next interaction', async () => {
    const identifies = fake.identifies.length;
    const resumed = bot.waitForLog((line) => line.msg === 'gateway resumed');
    fake.closeGateway(4000);
    await resumed;
    expect(fake.identifies).toHaveLength(identifies);
    expect(fake.resumes.at(-1)?.token).toBe(fake.token);
    expect(await driver.text(teach('the wind came back'))).toContain('Learned, as the model sees it: `the | wind | came | back`');
  });

  it('retries a reply that Discord answers with 500 once, and the member gets it', async () => {
    fake.failNext({ method: 'POST', pathPattern: CALLBACK, status: 500 });
    const handle = teach('storms pass quickly');
    expect(await driver.text(handle)).toContain('`storms | pass | quickly`');
    expect(callbackStatuses(handle.token)).toEqual([500, 204]);
    const warning = await bot.waitForLog((line) => line.msg === 'Discord answered with a server error');
    expect(warning).toMatchObject({ level: LEVEL.warn, status: 500, attempt: 1, route: '/interactions/:id/:token/callback' });
  });

  it('logs a reply that keeps failing with 500, stays up and answers the next interaction', async () => {
    // discord.js tries each request 4 times; the bot then tries once more to report the failure.
    fake.failNext({ method: 'POST', pathPattern: CALLBACK, status: 500, times: 8 });
    const handle = teach('thunder rolls far away');
    const failed = await bot.waitForLog((line) => line.msg === 'command failed' && line.command === 'teach');
    await bot.waitForLog((line) => line.msg === 'could not tell the member that the command failed' && line.reference === failed.reference);
    expect(callbackStatuses(handle.token)).toEqual(Array.from({ length: 8 }, () => 500));
    expect(handle.responses).toEqual([]);
    expect(bot.logs.filter((line) => line.msg === 'Discord answered with a server error')).toHaveLength(1 + 8);
    expect(await driver.text(teach('rain falls softly'))).toContain('`rain | falls | softly`');
  });

  it('waits out a 429 on a reply, logs the rate limit and still answers within the deadline', async () => {
    fake.failNext({ method: 'POST', pathPattern: CALLBACK, status: 429, retryAfter: 0.5 });
    const handle = teach('clouds gather slowly');
    const callback = await driver.callback(handle);
    expect(callback.body.data?.content).toContain('`clouds | gather | slowly`');
    expect(callbackStatuses(handle.token)).toEqual([429, 204]);
    expect(callback.atMs).toBeGreaterThanOrEqual(500);
    const warning = await bot.waitForLog((line) => line.msg === 'rate limited by Discord');
    expect(warning).toMatchObject({ level: LEVEL.warn, status: 429, retryAfter: 500, route: '/interactions/:id/:token/callback' });
  });
});

describe('start-up and crashes', () => {
  afterEach(endBots);

  it('stops with one clear error and a non-zero exit when the token is refused', async () => {
    const bot = spawnBot({ fake, dbPath: freshDatabase(), env: { DISCORD_TOKEN: 'not-the-bot-token' } });
    bots.push(bot);
    const exit = await bot.exited;
    expect(exit.code).toBe(1);
    expect(bot.stderr.trim().split('\n')).toEqual(['Could not connect to Discord: An invalid token was provided. (check DISCORD_TOKEN)']);
    expect(bot.linesAtLeast(LEVEL.error).map((line) => line.msg)).toEqual(['could not connect to Discord']);
    const gatewayRequests = fake.requests.filter((request) => request.path === '/gateway/bot' && request.headers.authorization === 'Bot not-the-bot-token');
    expect(gatewayRequests.map((request) => request.status)).toEqual([401]);
  });

  it('keeps a sentence acknowledged just before the process is killed', async () => {
    const dbPath = freshDatabase();
    const first = await launch(dbPath);
    const handle = teach('lanterns glow at dusk');
    await driver.callback(handle);
    first.child.kill('SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });

    await launch(dbPath);
    const listed = await driver.text(driver.command(GUILD.id, 'sentences list'));
    expect(listed).toContain('lanterns glow at dusk');
    expect(queryDatabase<{ text: string }>(dbPath, 'SELECT text FROM sentences')).toEqual([{ text: 'lanterns glow at dusk' }]);
  });

  it('serves the previous model after being killed during a retrain, and queues the run again', async () => {
    const dbPath = freshDatabase();
    // The first model is a full run: the second may follow it within a second, not hours.
    const first = await launch(dbPath, { FULL_RETRAIN_MIN_INTERVAL_HOURS: '0.0002' });
    await driver.teachAll(GUILD.id, ['owls hunt at night', 'owls sleep by day', 'foxes hunt at dawn', 'foxes sleep in dens']);
    const moderator = { permissions: MODERATOR_PERMISSIONS };
    const firstRun = driver.command(GUILD.id, 'retrain', {}, moderator);
    await fake.waitFor(firstRun, (response) => response.files.length > 0, 60_000);

    // A corpus large enough that the second run is still training long after a restart.
    const store = openStore(dbPath);
    try {
      importLines(store, GUILD.id, generatedSentences(3000), { authorId: 'importer', source: 'import' });
    } finally {
      store.close();
    }
    const secondRun = driver.command(GUILD.id, 'retrain', { full: true }, moderator);
    await fake.waitFor(secondRun, (response) => /Epoch \d+\/\d+, training/.test(response.body.content ?? ''), 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const [interrupted] = queryDatabase<{ id: number; status: string }>(dbPath, "SELECT id, status FROM training_runs WHERE kind = 'full' ORDER BY id DESC LIMIT 1");
    expect(interrupted?.status).toBe('running');

    const second = await launch(dbPath);
    const answer = await driver.text(driver.command(GUILD.id, 'predict', { text: 'owls' }));
    expect(answeringVersion(answer)).toBe(1);
    const requeued = await second.waitForLog((line) => line.msg === 'training run interrupted by a stop or crash; queued again');
    expect(requeued.runId).toBe(interrupted?.id);
    const runs = queryDatabase<{ id: number; status: string; error: string | null; kind: string }>(
      dbPath,
      'SELECT id, status, error, kind FROM training_runs WHERE id >= ? ORDER BY id',
      interrupted?.id,
    );
    expect(runs[0]).toEqual({ id: interrupted?.id, status: 'failed', error: 'interrupted', kind: 'full' });
    expect(runs[1]).toMatchObject({ id: requeued.requeuedRunId, kind: 'full', error: null });
    expect(['queued', 'running']).toContain(runs[1]?.status);
    const models = queryDatabase<{ version: number; status: string }>(dbPath, 'SELECT version, status FROM models');
    expect(models).toEqual([{ version: 1, status: 'serving' }]);
  });
});
