/**
 * What the long-running entry points (the bot, its shards' manager, the trainer) share: reading the
 * configuration and a graceful end.
 *
 * @module
 */
import { ConfigError, loadEnvironment, requireDiscordCredentials, type Config } from './config.ts';
import type { Logger } from './log.ts';

/**
 * Loads `.env` and the environment; an invalid configuration (or missing Discord credentials, when
 * `discord` asks for them) is reported on stderr with exit code 1, and null returned.
 */
export function loadConfigOrReport(options: { discord: 'required' | 'when-token-set' | 'no' }): Config | null {
  try {
    const config = loadEnvironment();
    if (options.discord === 'required' || (options.discord === 'when-token-set' && config.discordToken !== null)) requireDiscordCredentials(config);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
    return null;
  }
}

/**
 * Runs `close` once on SIGINT or SIGTERM (training stops cleanly, the database closes), then lets
 * the process exit. Returns the same function for a normal end.
 */
export function onShutdown(logger: Logger, close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= close().catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exitCode = 1;
    });
    return closing;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      void shutdown().then(() => process.exit());
    });
  }
  return shutdown;
}
