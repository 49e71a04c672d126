/**
 * The bot as it scales on one machine: `npm run start:sharded` (discord.js's ShardingManager, each
 * shard a process answering its own servers) beside `npm run trainer`, all on one SQLite file, and
 * a trainer killed with SIGKILL in the middle of a run.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { importLines } from '../../src/app/corpus-import.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { FakeDiscord, shardOf, type InteractionResponse } from '../support/fake-discord.ts';
import { snowflake } from '../support/interactions.ts';
import { PostgresDatabases, TEST_DATABASE_URL } from '../support/postgres-databases.ts';
import { waitUntil } from '../support/wait-until.ts';
import { spawnBot, type BotProcess, type LogLine } from './bot-process.ts';
import { Driver, MODERATOR_PERMISSIONS, answeringVersion, generatedSentences, temporaryFolder } from './driver.ts';

const SHARDS = 2;

/** Two servers on each shard: Discord routes a guild by `(id >> 22) % shards`. */
function guildsOnEachShard(): { id: string; name: string }[] {
  const guilds: { id: string; name: string }[] = [];
  for (let shard = 0; shard < SHARDS; shard += 1) {
    for (let n = 0; n < 2; ) {
      const id = snowflake();
      if (shardOf(id, SHARDS) !== shard) continue;
      guilds.push({ id, name: `Shard ${shard} server ${n}` });
      n += 1;
    }
  }
  return guilds;
}

const GUILDS = guildsOnEachShard();
const ON_SHARD_0 = GUILDS[0]!;
const ON_SHARD_1 = GUILDS[2]!;
const moderator = { permissions: MODERATOR_PERMISSIONS };
const ANIMALS = ['owls hunt at night', 'owls sleep by day', 'foxes hunt at dawn', 'foxes sleep in dens'];

let fake: FakeDiscord;
let driver: Driver;
let folder: ReturnType<typeof temporaryFolder>;
let processes: BotProcess[] = [];

beforeAll(async () => {
  folder = temporaryFolder('lstm-bot-sharded-');
  fake = new FakeDiscord({ guilds: GUILDS, shards: SHARDS });
  await fake.start();
  driver = new Driver(fake);
});

afterAll(async () => {
  await fake?.stop();
  folder?.remove();
});

afterEach(async (context) => {
  // What each process last logged is what explains a failure of processes talking through a database.
  if (context.task.result?.state === 'fail') {
    for (const process of processes) console.error(`${process.entry} (pid ${process.child.pid}):\n${process.tail(40)}`);
  }
  // The manager first, so that it does not spawn the shards again.
  await Promise.all(processes.map((process) => process.stop('SIGTERM')));
  processes = [];
});

const sqliteFile = (): string => path.join(folder.dir, `${snowflake()}.sqlite`);
const postgres = TEST_DATABASE_URL === undefined ? undefined : new PostgresDatabases(TEST_DATABASE_URL, 'sharded_test');
afterAll(() => postgres?.close());

/**
 * A run that trains on a few thousand sentences stops within two minutes, yet has time for epochs
 * on a busy machine (a budget that cannot fit one epoch ends the run before any).
 */
const SHORT_BUDGET = { RETRAIN_BUDGET_MINUTES: '2' };
/** Room for the waits of the killed-trainer test below: it takes about half a minute on a quiet machine. */
const KILLED_TRAINER_TIMEOUT_MS = 300_000;

function launch(entry: 'src/sharded.ts' | 'src/trainer.ts', dbPath: string, env: Record<string, string> = {}): BotProcess {
  const launched = spawnBot({ fake, dbPath, entry, env: { ...SHORT_BUDGET, ...env } });
  processes.push(launched);
  return launched;
}

/** The sharded bot, once every shard has logged in. */
async function startShards(dbPath: string): Promise<BotProcess> {
  const shards = launch('src/sharded.ts', dbPath);
  await shards.waitForLog((line) => line.msg === 'all shards ready', 90_000);
  return shards;
}

async function startTrainer(dbPath: string, env: Record<string, string> = {}): Promise<BotProcess> {
  const trainer = launch('src/trainer.ts', dbPath, env);
  await trainer.waitForLog((line) => line.msg === 'trainer started');
  return trainer;
}

/** The version a `/retrain` summary names. */
const modelVersionOf = (summary: InteractionResponse): string | undefined =>
  summary.body.embeds?.[0]?.fields?.find((field) => field.name === 'Model version')?.value;

const started = (guildId: string) => (line: LogLine) => line.msg === 'training run started' && line.guildId === guildId;

it('stops with one clear error and a non-zero exit when Discord refuses the token', async () => {
  const shards = spawnBot({ fake, dbPath: sqliteFile(), entry: 'src/sharded.ts', env: { DISCORD_TOKEN: 'not-the-bot-token' } });
  processes.push(shards);
  expect((await shards.exited).code).toBe(1);
  expect(shards.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^The shards could not start: .*Unauthorized/)]);
  expect(fake.identifies.filter((identify) => identify.token === 'not-the-bot-token')).toEqual([]);
});

describe('shards and a trainer on a SQLite file', () => shardsAndTrainers(sqliteFile));
describe.skipIf(postgres === undefined)(
  postgres === undefined ? 'shards and a trainer on PostgreSQL (skipped: TEST_DATABASE_URL is not set)' : 'shards and a trainer on PostgreSQL',
  () => shardsAndTrainers(() => postgres!.create()),
);

/** The same tests on each database: `freshDatabase` gives the location of an empty one. */
function shardsAndTrainers(freshDatabase: () => string): void {
  it('answers each server from its own shard, trains only in the trainer, and /retrain in a shard sees the result', async () => {
    const dbPath = freshDatabase();
    const identifiedBefore = fake.identifies.length;
    const shards = await startShards(dbPath);
    const trainer = await startTrainer(dbPath, { TRAINER_METRICS_PORT: '0' });
    // SHARD_COUNT is unset: the count Discord recommends, each shard identifying as itself.
    expect(fake.identifies.slice(identifiedBefore).map((identify) => identify.shard).sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(shards.logs.filter((line) => line.msg === 'logged in to Discord').map((line) => line.guilds)).toEqual([2, 2]);

    await driver.teachAll(ON_SHARD_0.id, ANIMALS);
    await driver.teachAll(ON_SHARD_1.id, ANIMALS);
    const retrain = driver.command(ON_SHARD_1.id, 'retrain', {}, moderator);
    const summary = await fake.waitFor(retrain, (response) => response.files.length > 0, 90_000);
    expect(modelVersionOf(summary)).toBe('v1');

    const trainingLines = (process: BotProcess) => process.logs.filter((line) => line.msg === 'training run started');
    expect(trainingLines(trainer).map((line) => line.guildId)).toEqual([ON_SHARD_1.id]);
    expect(trainingLines(shards)).toEqual([]);
    // The runs are counted where they are trained.
    const metricsUrl = String((await trainer.waitForLog((line) => line.msg === 'metrics served')).url);
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(/^lstm_bot_training_runs_total\{[^}]*status="succeeded"[^}]*\} 1$/m);
    expect(answeringVersion(await driver.text(driver.command(ON_SHARD_1.id, 'predict', { text: 'owls' })))).toBe(1);
    // The other shard's server has no model yet, and its shard still answers it.
    expect(answeringVersion(await driver.text(driver.command(ON_SHARD_0.id, 'predict', { text: 'owls' })))).toBeNull();
  });

  it('hands a run whose trainer is killed to another trainer, while the old model serves and /retrain follows it to its end', async () => {
    const dbPath = freshDatabase();
    await startShards(dbPath);
    const doomed = await startTrainer(dbPath);
    await driver.teachAll(ON_SHARD_0.id, ANIMALS);
    await fake.waitFor(driver.command(ON_SHARD_0.id, 'retrain', {}, moderator), (response) => response.files.length > 0, 90_000);

    readStore(dbPath, (store) => importLines(store, ON_SHARD_0.id, generatedSentences(3000), { authorId: 'importer', source: 'import' }));
    const survivor = await startTrainer(dbPath);
    const retrain = driver.command(ON_SHARD_0.id, 'retrain', {}, moderator);
    // The trainer dies as soon as it has claimed the run: on a quiet machine the run itself takes
    // only a few seconds, less than the 2 s between two progress edits of /retrain.
    const watcher = openStore(dbPath);
    let running: ReturnType<Store['activeRun']>;
    try {
      await waitUntil(() => (running = watcher.activeRun(ON_SHARD_0.id))?.status === 'running', 90_000, 20);
    } finally {
      watcher.close();
    }
    expect(running?.status).toBe('running');
    const victim = running?.owner?.includes(`/${doomed.child.pid}/`) ? doomed : survivor;
    const other = victim === doomed ? survivor : doomed;
    victim.child.kill('SIGKILL');
    await victim.exited;

    expect(answeringVersion(await driver.text(driver.command(ON_SHARD_0.id, 'predict', { text: 'owls' })))).toBe(1);
    const takenOver = await other.waitForLog((line) => line.msg === 'training run interrupted by a stop or crash; queued again', 60_000);
    expect(takenOver.runId).toBe(running?.id);
    await other.waitForLog(started(ON_SHARD_0.id), 10_000);
    const summary = await fake.waitFor(retrain, (response) => response.files.length > 0, 150_000);
    expect(modelVersionOf(summary)).toBe('v2');

    const runs = readStore(dbPath, (store) => store.latestRuns(ON_SHARD_0.id, 2));
    expect(runs.map(({ id, status, error }) => ({ id, status, error })).reverse()).toEqual([
      { id: running?.id, status: 'failed', error: 'interrupted' },
      { id: expect.any(Number), status: 'succeeded', error: null },
    ]);
    expect(answeringVersion(await driver.text(driver.command(ON_SHARD_0.id, 'predict', { text: 'owls' })))).toBe(2);
  }, KILLED_TRAINER_TIMEOUT_MS);
}

/** What `use` makes of the database at `location`, through a connection of its own. */
function readStore<T>(location: string, use: (store: Store) => T): T {
  const store = openStore(location);
  try {
    return use(store);
  } finally {
    store.close();
  }
}
