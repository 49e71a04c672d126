/**
 * The HTTP endpoint Prometheus scrapes: `GET /metrics` in Prometheus' text format, on the
 * loopback interface unless configured otherwise (the figures name the bot's servers).
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BotMetrics } from './bot-metrics.ts';

/** A listening metrics endpoint. */
export interface MetricsServer {
  /** Where it answers, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** Stops listening; scrapes under way finish. */
  close(): Promise<void>;
}

/** Where {@link startMetricsServer} listens. */
export interface MetricsAddress {
  host: string;
  /** 0 picks a free port (the one taken is in {@link MetricsServer.url}). */
  port: number;
}

/**
 * Serves the metrics until closed.
 *
 * @throws the listen error (e.g. `EADDRINUSE`) when the address cannot be bound
 */
export async function startMetricsServer(metrics: BotMetrics, address: MetricsAddress, logger: Logger): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method not allowed\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(request.method === 'HEAD' ? undefined : body),
      (error: unknown) => {
        logger.error({ err: error }, 'metrics could not be collected');
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics could not be collected: ${errorMessage(error)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const url = `http://${host}:${port}/metrics`;
  logger.info({ url }, 'metrics served');
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
