import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseListenAddress } from '../../../src/metrics/listen-address.js';
import { CriTsMetrics } from '../../../src/metrics/prom-metrics.js';
import { type MetricsServer, startMetricsServer } from '../../../src/metrics/server.js';
import { parsePrometheusText, sumOf } from '../../harness/prometheus-text.js';

describe('parseListenAddress', () => {
  it('takes HOST:PORT with a name, an IPv4 or a bracketed IPv6 host', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:1338'), { host: '127.0.0.1', port: 1338 });
    assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseListenAddress('[::1]:9100'), { host: '::1', port: 9100 });
  });

  it('refuses what is not one', () => {
    for (const bad of ['', '1338', ':1338', '127.0.0.1', '127.0.0.1:65536', '::1:9100', 'http://127.0.0.1:1338', '127.0.0.1:13 38']) {
      assert.equal(parseListenAddress(bad), undefined, bad);
    }
  });
});

describe('the metrics server', () => {
  const metrics = new CriTsMetrics();
  let server: MetricsServer;

  before(async () => {
    metrics.criMethod('runtime.v1.RuntimeService', 'Version').done(0, 0.001);
    server = await startMetricsServer({ address: '127.0.0.1:0', metrics, counts: () => ({ pods: { ready: 1 }, containers: { running: 2 } }) });
  });

  after(() => server.close());

  it('serves the Prometheus text format on /metrics', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(server.url);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(await response.text());
    assert.equal(sumOf(samples, 'cri_ts_grpc_server_handled_total', { grpc_method: 'Version', grpc_code: 'OK' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_pod_sandboxes', { state: 'ready' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_containers', { state: 'running' }), 2);
    assert.ok(sumOf(samples, 'process_resident_memory_bytes') > 0);
  });

  it('answers 404 elsewhere and 405 to anything but GET and HEAD', async () => {
    assert.equal((await fetch(server.url.replace('/metrics', '/'))).status, 404);
    assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
    const head = await fetch(server.url, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  it('fails to start on an address already taken, saying why', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await assert.rejects(startMetricsServer({ address: `127.0.0.1:${port}`, metrics: new CriTsMetrics(), counts: () => ({ pods: {}, containers: {} }) }), /EADDRINUSE/);
    } finally {
      taken.close();
    }
  });
});
