/**
 * `npm start`: with `DISCORD_TOKEN` set, the Discord bot; without it, the local console on the
 * `local` guild, seeded on first run with the bundled sample corpus and a model trained on it.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import { importLines } from './app/corpus-import.ts';
import { createApp, type App } from './app/create-app.ts';
import { requireDiscordCredentials, type Config } from './config.ts';
import { runConsole } from './console/console.ts';
import { startBot } from './discord/bot.ts';
import { errorMessage } from './errors.ts';
import { createLogger } from './log.ts';
import { loadConfigOrReport, onShutdown, serveMetrics } from './entry-points.ts';

/** The console's guild, shared with the CLI's default. */
export const LOCAL_GUILD = 'local';
const SAMPLE_CORPUS = new URL('../data/sample-corpus.txt', import.meta.url);

async function main(): Promise<void> {
  const config = loadConfigOrReport({ discord: 'when-token-set' });
  if (config === null) return;
  if (config.discordToken !== null) await runDiscord(config);
  else await runLocalConsole(config);
}

async function runDiscord(config: Config): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  const app = await createApp(asShard(config), logger, { schedule: true });
  const served = await serveMetrics(app, logger, () => app.close());
  if (served === undefined) return;
  const { metrics } = served;
  let bot;
  try {
    bot = await startBot(requireDiscordCredentials(config), app.services, logger, metrics === null ? {} : { observer: metrics.metrics });
  } catch (error) {
    logger.fatal({ err: error }, 'could not connect to Discord');
    process.stderr.write(`Could not connect to Discord: ${describeLoginError(error)}\n`);
    await metrics?.close();
    await app.close();
    process.exitCode = 1;
    return;
  }
  const running = bot;
  onShutdown(logger, async () => {
    await running.stop();
    await metrics?.close();
    await app.close();
  });
}

async function runLocalConsole(config: Config): Promise<void> {
  // Replies go to stdout; log lines to stderr, and only warnings unless LOG_LEVEL asks for more.
  const logger = createLogger({ level: process.env['LOG_LEVEL'] ? config.logLevel : 'warn', destination: 'stderr' });
  const app = await createApp(config, logger, { schedule: true });
  const served = await serveMetrics(app, logger, () => app.close());
  if (served === undefined) return;
  const { metrics } = served;
  const stop = onShutdown(logger, async () => {
    await metrics?.close();
    await app.close();
  });
  await seedLocalGuild(app, (line) => process.stdout.write(`${line}\n`));
  await runConsole({
    services: app.services,
    input: process.stdin,
    output: process.stdout,
    guildId: LOCAL_GUILD,
    user: { id: 'console', name: os.userInfo().username },
    locale: localeFromEnvironment(),
    logger,
    cooldowns: config,
    ...(metrics === null ? {} : { observer: metrics.metrics }),
  });
  await stop();
}

/**
 * As a shard spawned by `npm run start:sharded`, its metrics port is `METRICS_PORT` plus the shard's
 * id, so that the shards of one machine do not compete for one port.
 */
function asShard(config: Config): Config {
  const shardId = process.env['SHARDING_MANAGER'] === 'true' ? Number(process.env['SHARDS']) : 0;
  if (config.metricsPort === null || config.metricsPort === 0 || !(shardId > 0)) return config;
  return { ...config, metricsPort: config.metricsPort + shardId };
}

/**
 * On first run the local guild gets the bundled sample corpus and a model trained on it, so a
 * newcomer can predict at once. A model still missing later (training interrupted) is trained
 * again before the prompt opens.
 */
async function seedLocalGuild(app: App, say: (line: string) => void): Promise<void> {
  if (app.store.countSentences(LOCAL_GUILD) === 0 && app.store.listModels(LOCAL_GUILD).length === 0) {
    const lines = fs.readFileSync(SAMPLE_CORPUS, 'utf8').split('\n');
    const { added } = importLines(app.store, LOCAL_GUILD, lines, { authorId: 'sample', source: 'import' });
    say(`First run: added ${added} sample sentences to the local guild.`);
  }
  if (app.store.servingModelInfo(LOCAL_GUILD) !== undefined) return;
  say('Training the first model on them (this takes a few seconds)...');
  const handle = app.training.requestRetrain(LOCAL_GUILD, { full: true, requestedBy: 'console' });
  const result = await handle.done;
  if (result.status === 'succeeded') say(`Model v${result.modelVersion} ready (${result.seconds.toFixed(1)} s).`);
  else say(`The first model could not be trained: ${result.status === 'failed' ? result.error : 'cancelled'}.`);
}

/** `zh_CN.UTF-8` -> `zh-CN`; English when the terminal's language is not one the bot speaks. */
function localeFromEnvironment(): string {
  const lang = process.env['LC_ALL'] || process.env['LC_MESSAGES'] || process.env['LANG'] || '';
  if (/^zh[_-](TW|HK|MO)/i.test(lang)) return 'zh-TW';
  if (/^zh/i.test(lang)) return 'zh-CN';
  return 'en';
}

function describeLoginError(error: unknown): string {
  const message = errorMessage(error);
  return /token/i.test(message) ? `${message} (check DISCORD_TOKEN)` : message;
}

await main();
