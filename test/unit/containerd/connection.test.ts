import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { ContainerdClient } from '../../../src/containerd/client.js';
import { CriError } from '../../../src/errors.js';
import { metrics } from '../../../src/metrics/metrics.js';
import { parsePrometheusText, sumOf } from '../../harness/prometheus-text.js';
import { type StandInContainerd, startStandInContainerd } from '../../harness/stand-in-containerd.js';

/**
 * A stand-in containerd on a unix socket: Version answers with the namespace
 * header it saw, Tasks.Get says NotFound, Tasks.Start never answers.
 */
describe('unary calls to containerd', () => {
  let standIn: StandInContainerd;
  let client: ContainerdClient;

  before(async () => {
    standIn = await startStandInContainerd(
      {
        'version.v1.Version': {
          Version: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) =>
            callback(null, { version: String(call.metadata.get('containerd-namespace')[0]), revision: 'r1' }),
        },
        'tasks.v1.Tasks': {
          Get: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
            callback({ code: grpc.status.NOT_FOUND, details: 'container "c1" in namespace "ns": not found' }),
          Start: () => undefined,
        },
      },
      300,
    );
    client = standIn.client;
  });

  after(() => standIn.stop());

  it('sends the namespace header and decodes the response', async () => {
    assert.deepEqual(await client.version(), { version: 'ns', revision: 'r1' });
  });

  it("turns containerd's status into a domain error that names the method", async () => {
    await assert.rejects(client.tasks.Get({ containerId: 'c1' }), (err: unknown) => {
      assert.ok(err instanceof CriError);
      assert.equal(err.kind, 'NotFound');
      assert.match(err.message, /Tasks\/Get: container "c1" in namespace "ns": not found/);
      return true;
    });
  });

  it('gives up at the deadline with DeadlineExceeded', async () => {
    await assert.rejects(client.tasks.Start({ containerId: 'c1' }, { timeoutMs: 100 }), (err: unknown) => err instanceof CriError && err.kind === 'DeadlineExceeded');
  });

  it('records every call in the containerd families: latency by service and method, a count by status code', async () => {
    const { registry } = await metrics.enable();
    const scrape = async () => parsePrometheusText(await registry.metrics());
    const tasksGet = { grpc_service: 'containerd.services.tasks.v1.Tasks', grpc_method: 'Get' };
    const version = { grpc_service: 'containerd.services.version.v1.Version', grpc_method: 'Version' };
    const before = await scrape();
    await client.version();
    await client.tasks.Get({ containerId: 'c1' }).catch(() => undefined);
    await client.tasks.Get({ containerId: 'c1' }).catch(() => undefined);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sumOf(after, name, labels) - sumOf(before, name, labels);
    assert.equal(delta('cri_ts_containerd_client_handled_total', { ...version, grpc_code: 'OK' }), 1);
    assert.equal(delta('cri_ts_containerd_client_handled_total', { ...tasksGet, grpc_code: 'NotFound' }), 2);
    assert.equal(delta('cri_ts_containerd_client_handling_seconds_count', tasksGet), 2);
    assert.ok(delta('cri_ts_containerd_client_handling_seconds_sum', tasksGet) > 0);
  });

  it('stops waiting when the caller aborts', async () => {
    const abort = new AbortController();
    const pending = client.tasks.Start({ containerId: 'c1' }, { signal: abort.signal, timeoutMs: 5000 });
    setTimeout(() => abort.abort(), 20);
    await assert.rejects(pending, (err: unknown) => err instanceof CriError && /cancelled/.test(err.message));
  });
});
