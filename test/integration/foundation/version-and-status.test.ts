import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestContainerd, type TestContainerd } from '../../harness/containerd.js';
import { createTestCriTs, type TestCriTs } from '../../harness/cri-ts.js';
import { crictl, crictlJson } from '../../harness/crictl.js';
import { makeTestDir } from '../../harness/test-dir.js';

interface Condition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}
interface InfoOutput {
  status: { conditions: Condition[] };
  config?: { grpcAddress: string; restrictOomScoreAdj: boolean };
  lastCNILoadStatus?: string;
}

describe('Version, Status and RuntimeConfig through crictl', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let containerd: TestContainerd;
  let criTs: TestCriTs;

  before(async () => {
    testDir = await makeTestDir('status');
    containerd = await createTestContainerd(join(testDir.dir, 'containerd'));
    await containerd.start();
    criTs = await createTestCriTs(testDir.dir, { containerdAddress: containerd.address });
    await criTs.start();
  });

  after(async () => {
    await criTs?.stop();
    await containerd?.stop();
    await testDir?.remove();
  });

  it('crictl version reports cri-ts speaking CRI v1', async () => {
    const result = await crictl(criTs.socket, ['version']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /RuntimeName:\s+cri-ts/);
    assert.match(result.stdout, /RuntimeApiVersion:\s+v1/);
    assert.match(result.stdout, /Version:\s+0\.1\.0/);
  });

  it('the socket is owner and group only (0660)', async () => {
    const info = await stat(criTs.socket);
    assert.ok(info.isSocket());
    assert.equal(info.mode & 0o777, 0o660);
  });

  it('crictl info shows RuntimeReady and NetworkReady=false with a reason when no CNI config exists', async () => {
    const info = await crictlJson<InfoOutput>(criTs.socket, ['info']);
    const byType = Object.fromEntries(info.status.conditions.map((c) => [c.type, c]));
    assert.equal(byType.RuntimeReady?.status, true);
    assert.equal(byType.NetworkReady?.status, false);
    assert.equal(byType.NetworkReady?.reason, 'NetworkPluginNotReady');
    assert.match(byType.NetworkReady?.message ?? '', /no network config found in .*cni-conf/);
    // verbose info carries the effective configuration, with "auto" resolved for this host
    assert.equal(info.config?.grpcAddress, criTs.socket);
    assert.equal(typeof info.config?.restrictOomScoreAdj, 'boolean');
  });

  it('NetworkReady turns true once a CNI config loads', async () => {
    await writeFile(
      join(testDir.dir, 'cni-conf', '10-test.conflist'),
      JSON.stringify({ cniVersion: '1.0.0', name: 'test', plugins: [{ type: 'loopback' }] }),
    );
    const info = await crictlJson<InfoOutput>(criTs.socket, ['info']);
    const network = info.status.conditions.find((c) => c.type === 'NetworkReady');
    assert.equal(network?.status, true);
    assert.equal(info.lastCNILoadStatus, 'OK');
  });

  it('crictl imagefsinfo reports the overlayfs snapshotter of this containerd', async () => {
    const info = await crictlJson<{ status: { imageFilesystems: Array<{ fsId: { mountpoint: string }; usedBytes: { value: string }; inodesUsed: { value: string } }> } }>(
      criTs.socket,
      ['imagefsinfo'],
    );
    const [fs] = info.status.imageFilesystems;
    assert.equal(fs?.fsId.mountpoint, join(containerd.dir, 'root', 'io.containerd.snapshotter.v1.overlayfs'));
    assert.ok(Number(fs?.usedBytes.value) >= 0);
    assert.ok(Number(fs?.inodesUsed.value) >= 0);
  });

  it('an RPC not implemented yet answers UNIMPLEMENTED with its name, and the server keeps serving', async () => {
    const result = await crictl(criTs.socket, ['checkpoint', '--export', '/tmp/cri-ts-no-checkpoint.tar', 'f'.repeat(64)]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Unimplemented.*CheckpointContainer is not implemented/s);
    const again = await crictl(criTs.socket, ['version']);
    assert.equal(again.code, 0, again.stderr);
  });
});
