/**
 * What the long-running entry points (the bot, its shards' manager, the trainer) share: reading the
 * configuration and a graceful end.
 *
 * @module
 */
import { ConfigError, loadEnvironment, requireDiscordCredentials, type Config, type DiscordConfig } from './config.ts';
import { errorMessage } from './errors.ts';
import type { Logger } from './log.ts';
import { startMetrics, type RunningMetrics } from './metrics/start.ts';

/**
 * Loads `.env` and the environment; an invalid configuration (or missing Discord credentials, when
 * `discord` asks for them) is reported on stderr with exit code 1, and null returned.
 */
export function loadConfigOrReport(options: { discord: 'required' }): DiscordConfig | null;
export function loadConfigOrReport(options: { discord: 'when-token-set' | 'no' }): Config | null;
export function loadConfigOrReport(options: { discord: 'required' | 'when-token-set' | 'no' }): Config | null {
  try {
    const config = loadEnvironment();
    if (options.discord === 'required') return requireDiscordCredentials(config);
    if (options.discord === 'when-token-set' && config.discordToken !== null) requireDiscordCredentials(config);
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

/**
 * Serves the metrics when the configured port is set. When the endpoint cannot listen, says why,
 * runs `close` and returns undefined (exit code 1): an operator who asked for metrics should not get
 * a process without them.
 */
export async function serveMetrics(
  sources: Parameters<typeof startMetrics>[0],
  logger: Logger,
  close: () => Promise<void>,
): Promise<{ metrics: RunningMetrics | null } | undefined> {
  try {
    return { metrics: await startMetrics(sources, logger) };
  } catch (error) {
    const { metricsHost, metricsPort } = sources.config;
    logger.fatal({ err: error }, 'could not serve the metrics');
    process.stderr.write(`Could not serve the metrics on ${metricsHost}:${metricsPort}: ${errorMessage(error)} (check the metrics port and METRICS_HOST)\n`);
    await close();
    process.exitCode = 1;
    return undefined;
  }
}
