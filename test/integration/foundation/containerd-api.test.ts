import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { anyTypeName, packAny, unpackAny } from '../../../src/containerd/any.js';
import { ContainerdClient } from '../../../src/containerd/client.js';
import { abortIngest, type BlobSource, writeBlob } from '../../../src/containerd/content-writer.js';
import { CriError } from '../../../src/errors.js';
import { createTestContainerd, type TestContainerd } from '../../harness/containerd.js';
import { makeTestDir } from '../../harness/test-dir.js';

function sourceOf(bytes: Buffer): BlobSource {
  return {
    async open(offset) {
      return (async function* () {
        for (let i = offset; i < bytes.length; i += 300_000) yield bytes.subarray(i, i + 300_000);
      })();
    },
  };
}

const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('containerd 1.x API through the typed client', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let containerd: TestContainerd;
  let client: ContainerdClient;

  before(async () => {
    testDir = await makeTestDir('containerd-api');
    containerd = await createTestContainerd(join(testDir.dir, 'containerd'));
    await containerd.start();
    client = new ContainerdClient(containerd.address, 'cri-ts-test', 10_000);
  });

  after(async () => {
    client?.close();
    await containerd?.stop();
    await testDir?.remove();
  });

  it('introspection names the overlayfs snapshotter and its root', async () => {
    const { plugins } = await client.introspection.Plugins({ filters: ['type==io.containerd.snapshotter.v1,id==overlayfs'] });
    assert.equal(plugins.length, 1);
    assert.match(plugins[0]!.exports.root ?? '', /io\.containerd\.snapshotter\.v1\.overlayfs$/);
  });

  it('writes a blob under a lease, reads it back, and skips it the second time', async () => {
    const { lease } = await client.leases.Create({ labels: { 'containerd.io/gc.expire': new Date(Date.now() + 60_000).toISOString() } });
    assert.ok(lease);
    const bytes = randomBytes(2_500_000);
    const digest = digestOf(bytes);
    const progress: number[] = [];
    const first = await writeBlob(client, sourceOf(bytes), {
      ref: `test-${digest}`,
      digest,
      size: bytes.length,
      lease: lease.id,
      labels: { 'cri-ts.test': 'yes' },
      onProgress: (done) => progress.push(done),
    });
    assert.equal(first, 'written');
    assert.equal(progress.at(-1), bytes.length);
    const { info } = await client.content.Info({ digest });
    assert.equal(Number(info?.size), bytes.length);
    assert.equal(info?.labels['cri-ts.test'], 'yes');
    const chunks: Buffer[] = [];
    for await (const piece of client.readContent({ digest })) chunks.push(piece.data);
    assert.ok(Buffer.concat(chunks).equals(bytes));
    const second = await writeBlob(client, sourceOf(bytes), { ref: `test2-${digest}`, digest, size: bytes.length, lease: lease.id });
    assert.equal(second, 'already-present');
    await client.leases.Delete({ id: lease.id, sync: true });
  });

  it('refuses a blob whose bytes do not match the digest and leaves no ingest once aborted', async () => {
    const bytes = randomBytes(10_000);
    const wrong = digestOf(Buffer.from('something else'));
    const ref = 'test-mismatch';
    await assert.rejects(
      writeBlob(client, sourceOf(bytes), { ref, digest: wrong, size: bytes.length }),
      (err: unknown) => err instanceof CriError && err.kind === 'FailedPrecondition' && err.message.includes(wrong),
    );
    await abortIngest(client, ref);
    const { statuses } = await client.content.ListStatuses({ filters: [] });
    assert.deepEqual(statuses.map((s) => s.ref).filter((r) => r === ref), []);
    await assert.rejects(client.content.Info({ digest: wrong }), (err: unknown) => err instanceof CriError && err.kind === 'NotFound');
  });

  it('publishes an event and receives it through a subscription, payload decoded', async () => {
    const abort = new AbortController();
    const received = (async () => {
      for await (const envelope of client.subscribeEvents({ filters: ['topic=="/cri-ts/test"'] }, { signal: abort.signal })) {
        return envelope;
      }
      return undefined;
    })();
    await new Promise((r) => setTimeout(r, 300));
    await client.events.Publish({ topic: '/cri-ts/test', event: packAny('containerd.events.TaskExit', { containerId: 'c1', pid: 42, exitStatus: 3 }) });
    const envelope = await received;
    abort.abort();
    assert.equal(envelope?.topic, '/cri-ts/test');
    assert.equal(envelope?.namespace, 'cri-ts-test');
    assert.ok(envelope?.event);
    assert.equal(anyTypeName(envelope.event.type_url), 'containerd.events.TaskExit');
    const exit = unpackAny<{ containerId: string; pid: number; exitStatus: number }>(envelope.event);
    assert.deepEqual([exit?.containerId, exit?.pid, exit?.exitStatus], ['c1', 42, 3]);
  });
});
