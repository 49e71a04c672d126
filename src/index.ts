/**
 * The package's entry for host bots: mount the language-learning commands and their training
 * service on a discord.js client that already runs, beside the host's own commands.
 *
 * @example
 * import { Client, GatewayIntentBits } from 'discord.js';
 * import { mountLanguageBot } from 'lstm-community-bot';
 *
 * const client = new Client({ intents: [GatewayIntentBits.Guilds] });
 * const languageBot = await mountLanguageBot(client);
 * await client.login(process.env.DISCORD_TOKEN);
 * // on shutdown:
 * await languageBot.close();
 *
 * @module
 */
import type { Client } from 'discord.js';
import { createApp, type App } from './app/create-app.ts';
import { loadEnvironment, type Config } from './config.ts';
import { mountCommands } from './discord/plugin.ts';
import { createLogger, redactingLogger, type Logger } from './log.ts';
import { startMetrics } from './metrics/start.ts';

export type { App } from './app/create-app.ts';
export type { BotServices } from './app/services.ts';
export type { Config } from './config.ts';

/** Options of {@link mountLanguageBot}. */
export interface MountLanguageBotOptions {
  /** The configuration; read from the environment (and `.env`) when omitted. */
  config?: Config;
  /**
   * The host's logger (pino), used through a child that redacts tokens; a new one at the
   * configured level when omitted.
   */
  logger?: Logger;
}

/** The mounted commands and the application behind them. */
export interface MountedLanguageBot {
  app: App;
  /** Detaches the commands, stops training cleanly and closes the database. */
  close(): Promise<void>;
}

/**
 * Mounts `/teach`, `/predict` and the other commands on an existing client, and starts the
 * background training service (and the metrics endpoint when `METRICS_PORT` is set). The commands still have to be registered with Discord once
 * (`npm run deploy-commands`, or the host's own deployment using the same definitions).
 */
export async function mountLanguageBot(client: Client, options: MountLanguageBotOptions = {}): Promise<MountedLanguageBot> {
  const config = options.config ?? loadEnvironment();
  const logger = options.logger === undefined ? createLogger({ level: config.logLevel }) : redactingLogger(options.logger);
  const app = await createApp(config, logger, { schedule: true });
  let metrics: Awaited<ReturnType<typeof startMetrics>> = null;
  let detach: () => void;
  try {
    metrics = await startMetrics(app, logger);
    detach = await mountCommands(client, app.services, config, logger, metrics === null ? {} : { observer: metrics.metrics });
  } catch (error) {
    await metrics?.close();
    await app.close();
    throw error;
  }
  return {
    app,
    async close() {
      detach();
      await metrics?.close();
      await app.close();
    },
  };
}
