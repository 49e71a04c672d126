/**
 * Serves a running application's metrics when `METRICS_PORT` is set.
 *
 * @module
 */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { BotMetrics, type MetricsSources } from './bot-metrics.ts';
import { startMetricsServer, type MetricsServer } from './server.ts';

/** The metrics of an application, served over HTTP. */
export interface RunningMetrics {
  /** The dispatcher's observer. */
  metrics: BotMetrics;
  server: MetricsServer;
  /** Stops serving and observing. */
  close(): Promise<void>;
}

/**
 * Starts observing the application and serving `GET /metrics` on the configured address; null
 * without `METRICS_PORT`.
 *
 * @throws the listen error when the address cannot be bound (a port in use, say)
 */
export async function startMetrics(sources: MetricsSources & { config: Pick<Config, 'metricsPort' | 'metricsHost'> }, logger: Logger): Promise<RunningMetrics | null> {
  const { metricsPort, metricsHost } = sources.config;
  if (metricsPort === null) return null;
  const metrics = new BotMetrics({
    store: sources.store,
    training: sources.training,
    heldModels: () => sources.heldModels(),
  });
  let server: MetricsServer;
  try {
    server = await startMetricsServer(metrics, { host: metricsHost, port: metricsPort }, logger);
  } catch (error) {
    metrics.close();
    throw error;
  }
  return {
    metrics,
    server,
    async close() {
      await server.close();
      metrics.close();
    },
  };
}
