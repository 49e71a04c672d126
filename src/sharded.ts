/**
 * `npm run start:sharded`: the bot as discord.js shards, one process each (`SHARD_COUNT`, or `auto`
 * for Discord's recommendation), all on the same database. Each shard answers its own servers and,
 * unless `TRAIN_IN_PROCESS=true`, leaves training to `npm run trainer`. A shard that dies is
 * spawned again.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { REST, Routes, ShardingManager, type RESTGetAPIGatewayBotResult } from 'discord.js';
import type { DiscordConfig } from './config.ts';
import { loadConfigOrReport, onShutdown } from './entry-points.ts';
import { errorMessage } from './errors.ts';
import { createLogger } from './log.ts';

/** discord.js's default: Discord lets one shard identify about every five seconds. */
const SPAWN_DELAY_MS = 5_500;
/** How long a shard may take to log in before its spawn counts as failed. */
const SHARD_READY_TIMEOUT_MS = 60_000;
/** How long a stopping shard may take to close its database before it is killed. */
const SHARD_STOP_TIMEOUT_MS = 30_000;

const config = loadConfigOrReport({ discord: 'required' });
if (config !== null) await runShards(config);

async function runShards(config: DiscordConfig): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  // Shards are bot processes: they inherit this process's environment.
  if (!process.env['TRAIN_IN_PROCESS']?.trim()) process.env['TRAIN_IN_PROCESS'] = 'false';
  let manager: ShardingManager | undefined;
  const stopShards = async (): Promise<void> => {
    if (manager === undefined) return;
    manager.respawn = false;
    await Promise.all(manager.shards.map((shard) => stopGracefully(shard.process)));
  };
  onShutdown(logger, stopShards);
  try {
    const totalShards = config.shardCount === 'auto' ? await recommendedShardCount(config) : config.shardCount;
    manager = new ShardingManager(fileURLToPath(new URL('./main.ts', import.meta.url)), {
      totalShards,
      token: config.discordToken,
      execArgv: ['--import', 'tsx'],
      respawn: true,
    });
    manager.on('shardCreate', (shard) => {
      logger.info({ shardId: shard.id, totalShards }, 'shard spawned');
      shard.on('death', () => logger.warn({ shardId: shard.id }, 'shard process ended'));
    });
    await manager.spawn({ amount: totalShards, delay: SPAWN_DELAY_MS, timeout: SHARD_READY_TIMEOUT_MS });
    logger.info({ totalShards }, 'all shards ready');
  } catch (error) {
    logger.fatal({ err: error }, 'the shards could not start');
    process.stderr.write(`The shards could not start: ${errorMessage(error)}\n`);
    await stopShards();
    process.exit(1);
  }
}

/** Stops a shard's process as SIGTERM asks (its own graceful close), killing it past a timeout. */
async function stopGracefully(child: ChildProcess | null): Promise<void> {
  // Not Shard.kill(), which would skip the shard's graceful close.
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), SHARD_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Discord's recommended shard count, asked through `DISCORD_API_URL` (so a REST proxy works too). */
async function recommendedShardCount(discord: DiscordConfig): Promise<number> {
  const rest = new REST({ api: discord.discordApiUrl }).setToken(discord.discordToken);
  const { shards } = (await rest.get(Routes.gatewayBot())) as RESTGetAPIGatewayBotResult;
  return shards;
}
