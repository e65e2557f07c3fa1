import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseListenAddress } from './listen-address.js';
import type { ObjectStateCounts } from './metrics.js';
import type { CriTsMetrics } from './prom-metrics.js';

export interface MetricsServer {
  /** Where the metrics are served, e.g. http://127.0.0.1:1338/metrics. */
  readonly url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  /** "HOST:PORT" (config key metrics.address). */
  address: string;
  metrics: CriTsMetrics;
  /** Pods and containers by state, asked at each scrape. */
  counts: () => ObjectStateCounts;
}

export const METRICS_PATH = '/metrics';

async function answer(metrics: CriTsMetrics, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '').split('?')[0];
  if (path !== METRICS_PATH) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: metrics are served on ${METRICS_PATH}\n`);
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end(`${request.method} is not allowed; use GET\n`);
    return;
  }
  const body = await metrics.registry.metrics();
  response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(request.method === 'HEAD' ? undefined : body);
}

/** Serves the Prometheus text format on `/metrics` over plain HTTP. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const listen = parseListenAddress(options.address);
  if (!listen) throw new Error(`metrics address ${JSON.stringify(options.address)} is not HOST:PORT`);
  options.metrics.addServedFamilies(options.counts);
  const server = createServer((request, response) => {
    answer(options.metrics, request, response).catch((err: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}${METRICS_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
