/**
 * Scenario `sharded`: the bot as it scales on one machine. `npm run start:sharded` (2 shards, each
 * a process answering its own servers) and `npm run trainer` share one database, started exactly as
 * their npm scripts start them, against a loopback fake Discord that routes each server to its shard.
 *
 * 1. Load: 2,000 interactions (70% `/predict`, 20% autocomplete, 10% `/teach`) at concurrency 50
 *    over 20 servers while two servers, one per shard, retrain from scratch after a moderator's
 *    `/retrain full:true`. Targets: every interaction acknowledged within 3 s, no run trained twice
 *    (one "training run started" per run, only in trainers), every `/retrain` sees its summary.
 * 2. A trainer killed with SIGKILL in the middle of a run: another trainer takes the run over
 *    within 2 lease periods (`RUN_LEASE_SECONDS`), the old model answers meanwhile, and the run ends
 *    with a new model and every sentence still there.
 *
 * The database is a SQLite file, or with `--postgres` a PostgreSQL database of its own: the same
 * scenario on both is what the README compares.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnBot, type BotProcess } from '../../test/e2e/bot-process.ts';
import { Driver, MODERATOR_PERMISSIONS, answeringVersion } from '../../test/e2e/driver.ts';
import { FakeDiscord, shardOf, type InteractionHandle } from '../../test/support/fake-discord.ts';
import { snowflake } from '../../test/support/interactions.ts';
import { PostgresDatabases } from '../../test/support/postgres-databases.ts';
import { seededRandom } from '../../test/support/seeded-random.ts';
import { waitUntil } from '../../test/support/wait-until.ts';
import { integerOption } from '../lib/args.ts';
import { DEFAULT_CORPUS, displayPath, numberedCopies, readCorpus } from '../lib/corpus.ts';
import { drive } from '../lib/drive.ts';
import { markdownTable, round } from '../lib/format.ts';
import { DEADLINE_MS, latency, ORDINARY_KINDS, planOrdinaryLoad, progress, type LatencyFigures, type OrdinaryKind } from '../lib/load.ts';
import { loadAverage } from '../lib/machine.ts';
import { defineScenario, UsageError } from '../lib/scenario.ts';

/** Short enough that "within 2 lease periods" means something on one machine. */
const LEASE_SECONDS = 30;
/** How often the database is read while waiting for a state. */
const POLL_MS = 250;

export default defineScenario({
  summary: '2 shards + 1 trainer on one database: 2,000 interactions at concurrency 50 over 20 servers while two retrain, then a trainer killed mid-run',
  usage: `  --interactions N      interactions in the load (default 2000)
  --concurrency N       interactions in flight at once (default 50)
  --guilds N            servers, dealt to the shards as Discord deals them (default 20)
  --shards N            shards (default 2)
  --corpus FILE         one sentence per line, dealt round-robin to the servers (default: the bundled
                        data/sample-corpus.txt)
  --retrain-sentences N sentences each retraining server trains on (default 3000)
  --budget-minutes N    wall-clock budget of each retrain (default 2)
  --postgres URL        share a PostgreSQL database instead of a SQLite file: a throwaway one is
                        created on the server at URL (whose user may create databases) and dropped
                        after, e.g. the TEST_DATABASE_URL of scripts/test-postgres.sh`,
  options: {
    interactions: { type: 'string' },
    concurrency: { type: 'string' },
    guilds: { type: 'string' },
    shards: { type: 'string' },
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    'retrain-sentences': { type: 'string' },
    'budget-minutes': { type: 'string' },
    postgres: { type: 'string' },
  },

  async run(values) {
    const options = {
      interactions: integerOption(values.interactions, 'interactions', 2000),
      concurrency: integerOption(values.concurrency, 'concurrency', 50),
      guildCount: integerOption(values.guilds, 'guilds', 20),
      shards: integerOption(values.shards, 'shards', 2),
      retrainSentences: integerOption(values['retrain-sentences'], 'retrain-sentences', 3000),
      budgetMinutes: integerOption(values['budget-minutes'], 'budget-minutes', 2),
      corpus: readCorpus(values.corpus),
      corpusName: displayPath(values.corpus),
      postgres: values.postgres ?? null,
    };
    if (options.postgres !== null && !/^postgres(?:ql)?:\/\//.test(options.postgres)) throw new UsageError('--postgres takes a postgres:// URL');
    if (options.guildCount < 2 * options.shards) throw new UsageError('--guilds must give every shard at least two servers');
    if (options.corpus.length < options.guildCount * 3) throw new UsageError(`--corpus needs at least ${options.guildCount * 3} sentences for ${options.guildCount} servers`);
    return runSharded(options);
  },
});

type Options = {
  interactions: number;
  concurrency: number;
  guildCount: number;
  shards: number;
  retrainSentences: number;
  budgetMinutes: number;
  corpus: string[];
  corpusName: string;
  /** The server to create the shared database on; null shares a SQLite file. */
  postgres: string | null;
};

async function runSharded(options: Options) {
  // The product's modules load tfjs: imported here so that listing the scenarios stays cheap.
  const { importLines } = await import('../../src/app/corpus-import.ts');
  const { openStore } = await import('../../src/store/index.ts');

  const loadBefore = loadAverage();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-sharded-'));
  const databases = options.postgres === null ? null : new PostgresDatabases(options.postgres, 'lstm_bot_bench');
  const dbPath = databases?.create() ?? path.join(dir, 'bot.sqlite');
  // Snowflakes a millisecond apart: Discord deals servers to shards by their creation time.
  const guildIds = Array.from({ length: options.guildCount }, (_, index) => snowflake(Date.now() - index));
  const shares = guildIds.map((_, index) => options.corpus.filter((__, line) => line % guildIds.length === index));
  const fake = new FakeDiscord({ guilds: guildIds.map((id, index) => ({ id, name: `Server ${index + 1}` })), shards: options.shards });
  await fake.start();
  const driver = new Driver(fake);
  const store = openStore(dbPath);
  const processes: BotProcess[] = [];
  const env = {
    RUN_LEASE_SECONDS: String(LEASE_SECONDS),
    TRAINING_CONCURRENCY: '2',
    RETRAIN_BUDGET_MINUTES: String(options.budgetMinutes),
    FULL_RETRAIN_BUDGET_MINUTES: String(options.budgetMinutes),
    // The first models are full runs; the retrains below follow them within minutes, not hours.
    FULL_RETRAIN_MIN_INTERVAL_HOURS: '0.0002',
    SHARD_COUNT: String(options.shards),
  };
  const launch = (entry: 'src/sharded.ts' | 'src/trainer.ts'): BotProcess => {
    const launched = spawnBot({ fake, dbPath, entry, env });
    processes.push(launched);
    return launched;
  };
  try {
    for (const [index, guildId] of guildIds.entries()) importLines(store, guildId, shares[index]!, { authorId: 'bench', source: 'import' });
    const trainer = launch('src/trainer.ts');
    await trainer.waitForLog((line) => line.msg === 'trainer started');
    progress(`training the first model of ${guildIds.length} servers in the trainer`);
    for (const guildId of guildIds) store.enqueueRun(guildId, { kind: 'full', trigger: 'cli', requestedBy: 'bench' });
    await until(() => guildIds.every((guildId) => store.servingModelInfo(guildId) !== undefined), 15 * 60_000, 'the first models');
    const shards = launch('src/sharded.ts');
    await shards.waitForLog((line) => line.msg === 'all shards ready', 120_000);

    // ---- 1. the load while one server of each shard retrains
    const retraining = Array.from({ length: options.shards }, (_, shard) => guildIds.find((id) => shardOf(id, options.shards) === shard)!);
    for (const guildId of retraining) {
      importLines(store, guildId, numberedCopies(options.corpus, options.retrainSentences), { authorId: 'bench', source: 'import' });
    }
    const retrains = retraining.map((guildId) => retrainCommand(driver, guildId));
    await until(() => retraining.every((guildId) => store.activeRun(guildId)?.status === 'running'), 120_000, 'the retrains to start');
    // Shards that have run for a while have their servers' models in memory.
    for (const [index, guildId] of guildIds.entries()) await versionAnswering(driver, guildId, shares[index]![0]!);
    progress(`${retraining.length} servers retrain; sending ${options.interactions} interactions, ${options.concurrency} at a time`);
    const plan = planOrdinaryLoad(options.interactions, guildIds, shares, seededRandom(20_261_203));
    const driven = await drive(fake, plan, options.concurrency);
    const retrainsOverlapped = retraining.every((guildId) => store.activeRun(guildId)?.status === 'running');
    progress('waiting for the retrains to end');
    const summaries = await Promise.all(retrains.map((handle) => fake.waitFor(handle, (response) => response.files.length > 0, (options.budgetMinutes + 5) * 60_000).then(() => true, () => false)));

    // ---- 2. a trainer killed in the middle of a run
    const second = launch('src/trainer.ts');
    await second.waitForLog((line) => line.msg === 'trainer started');
    const victimGuild = retraining[0]!;
    const servingBefore = store.servingModelInfo(victimGuild)!.version;
    const retrain = retrainCommand(driver, victimGuild);
    await until(() => store.activeRun(victimGuild)?.status === 'running', 120_000, 'the run to start');
    const interrupted = store.activeRun(victimGuild)!;
    const sentencesBefore = store.countSentences(victimGuild);
    const victim = [trainer, second].find((candidate) => interrupted.owner?.includes(`/${candidate.child.pid}/`))!;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    progress(`killing the trainer of run ${interrupted.id} (pid ${victim.child.pid}) with SIGKILL`);
    const killedAt = performance.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    const answersMeanwhile = await versionAnswering(driver, victimGuild, shares[0]![0]!);
    await until(() => {
      const active = store.activeRun(victimGuild);
      return active !== undefined && active.id !== interrupted.id && active.status === 'running';
    }, 2 * LEASE_SECONDS * 1000 + 60_000, 'another trainer to take the run over');
    const takeoverSeconds = (performance.now() - killedAt) / 1000;
    const retrainSummary = await fake.waitFor(retrain, (response) => response.files.length > 0, (options.budgetMinutes + 5) * 60_000).then(() => true, () => false);
    const servingAfter = store.servingModelInfo(victimGuild)!.version;

    // ---- what happened, from the logs and the database
    const trainers = [trainer, second];
    const startedRuns = trainers.flatMap((process) => process.logs.filter((line) => line.msg === 'training run started').map((line) => Number(line.runId)));
    const trainedTwice = startedRuns.length - new Set(startedRuns).size;
    const trainedInShards = shards.logs.filter((line) => line.msg === 'training run started').length;
    const acknowledged = driven.measured.filter((m) => m.firstMs !== null && m.firstMs <= DEADLINE_MS).length;
    const firsts = driven.measured.flatMap((m) => (m.firstMs === null ? [] : [m.firstMs]));
    const result = {
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAverage(),
      database: databases === null ? 'sqlite' : 'postgresql',
      corpus: options.corpusName,
      shards: options.shards,
      guilds: options.guildCount,
      interactions: driven.measured.length,
      concurrency: options.concurrency,
      acknowledgedWithinDeadline: acknowledged,
      firstResponse: latency(firsts),
      byKind: Object.fromEntries(ORDINARY_KINDS.map((kind) => [kind, latency(driven.measured.flatMap((m) => (m.kind === kind && m.firstMs !== null ? [m.firstMs] : [])))])) as Record<OrdinaryKind, LatencyFigures>,
      withResult: driven.measured.filter((m) => m.useful).length,
      throughputPerSecond: round(driven.measured.length / (driven.wallMs / 1000), 1),
      retrainsOverlappedTheLoad: retrainsOverlapped,
      retrainSummariesSeen: summaries.filter(Boolean).length,
      runsStarted: startedRuns.length,
      runsTrainedTwice: trainedTwice,
      runsStartedInShards: trainedInShards,
      kill: {
        leaseSeconds: LEASE_SECONDS,
        takeoverSeconds: round(takeoverSeconds, 1),
        versionAnsweringMeanwhile: answersMeanwhile,
        servingBefore,
        servingAfter,
        summarySeen: retrainSummary,
        sentencesBefore,
        sentencesAfter: store.countSentences(victimGuild),
      },
    };
    const missedTargets = [
      ...(acknowledged < driven.measured.length ? [`${driven.measured.length - acknowledged} of ${driven.measured.length} interactions not acknowledged within 3 s`] : []),
      ...(retrainsOverlapped ? [] : ['a retrain ended before the load did: the load did not run while two servers trained']),
      ...(trainedTwice > 0 || trainedInShards > 0 ? [`runs trained twice: ${trainedTwice}; runs started in a shard: ${trainedInShards}`] : []),
      ...(result.retrainSummariesSeen < retrains.length ? [`${retrains.length - result.retrainSummariesSeen} /retrain saw no summary`] : []),
      ...(takeoverSeconds > 2 * LEASE_SECONDS ? [`the run was taken over after ${round(takeoverSeconds, 1)} s, more than 2 leases of ${LEASE_SECONDS} s`] : []),
      ...(answersMeanwhile !== servingBefore ? [`while no trainer had the run, /predict answered with ${answersMeanwhile ?? 'no model'} instead of v${servingBefore}`] : []),
      ...(!retrainSummary || servingAfter <= servingBefore ? ['the run taken over did not end with a new model seen by its /retrain'] : []),
      ...(result.kill.sentencesAfter !== sentencesBefore ? ['sentences were lost'] : []),
    ];
    const kill = result.kill;
    const text = [
      `Sharded: ${result.shards} shards + trainers on one ${result.database} database, ${result.guilds} servers (${result.corpus})`,
      `load average ${result.loadAverageBefore} before, ${result.loadAverageAfter} after`,
      '',
      markdownTable(
        ['kind', 'answered', 'first response p50 / p99 / max (ms)'],
        ORDINARY_KINDS.map((kind) => [kind, String(result.byKind[kind].count), `${result.byKind[kind].p50Ms} / ${result.byKind[kind].p99Ms} / ${result.byKind[kind].maxMs}`]),
      ),
      '',
      `acknowledged within ${DEADLINE_MS / 1000} s: ${result.acknowledgedWithinDeadline} of ${result.interactions} at concurrency ${result.concurrency} (${result.throughputPerSecond}/s; ${result.withResult} with a result)`,
      `retrains during the load: ${result.retrainsOverlappedTheLoad ? 'both still training when it ended' : 'one ended before the load did'}; summaries seen by /retrain: ${result.retrainSummariesSeen}`,
      `runs started: ${result.runsStarted}, trained twice: ${result.runsTrainedTwice}, started in a shard: ${result.runsStartedInShards}`,
      `trainer killed mid-run: taken over after ${kill.takeoverSeconds} s (lease ${kill.leaseSeconds} s); meanwhile /predict answered with v${kill.versionAnsweringMeanwhile}; serving v${kill.servingBefore} -> v${kill.servingAfter}; summary seen: ${kill.summarySeen}; sentences ${kill.sentencesBefore} -> ${kill.sentencesAfter}`,
      missedTargets.length === 0 ? 'every target met' : `targets missed:\n${missedTargets.map((line) => `  ${line}`).join('\n')}`,
    ].join('\n');
    return { result, text, missedTargets };
  } finally {
    // The shards' manager stops its shards; the trainers queue their runs again.
    await Promise.all(processes.map((process) => process.stop('SIGTERM')));
    store.close();
    databases?.close();
    await fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A moderator's `/retrain full:true` in `guildId`. */
function retrainCommand(driver: Driver, guildId: string): InteractionHandle {
  return driver.command(guildId, 'retrain', { full: true }, { userId: snowflake(), permissions: MODERATOR_PERMISSIONS });
}

/** The model version a member's `/predict` of `text` in `guildId` names, or null without one. */
async function versionAnswering(driver: Driver, guildId: string, text: string): Promise<number | null> {
  return answeringVersion(await driver.text(driver.command(guildId, 'predict', { text }, { userId: snowflake() })));
}

/** Resolves once `condition` holds, read every {@link POLL_MS}; rejects after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  if (!(await waitUntil(condition, timeoutMs, POLL_MS))) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}
