import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseNetworkConfig } from '../../../src/cni/network-config.js';
import { ResultCache, type CachedAttachment } from '../../../src/cni/result-cache.js';
import { makeTestDir } from '../../harness/test-dir.js';
import { captureLog } from './fake-plugins.js';

function entry(podId: string, network: string, ifName: string, index: number): CachedAttachment {
  return {
    podId,
    network,
    ifName,
    index,
    netnsPath: `/var/run/netns/${podId}`,
    config: parseNetworkConfig(
      `/etc/cni/net.d/${network}.conflist`,
      JSON.stringify({ cniVersion: '1.0.0', name: network, plugins: [{ type: 'bridge', bridge: 'cni0' }, { type: 'portmap', capabilities: { portMappings: true } }] }),
    ),
    result: { cniVersion: '1.0.0', interfaces: [{ name: ifName, sandbox: '/x' }], ips: [{ address: '10.0.0.4/24', interface: 0 }] },
    cniArgs: [['K8S_POD_NAME', 'p'], ['IgnoreUnknown', '1']],
    capabilityArgs: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }] },
    createdAt: '2024-01-01T00:00:00.000Z',
  };
}

describe('CNI result cache', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let cacheDir: string;

  before(async () => {
    testDir = await makeTestDir('cni-cache');
    cacheDir = join(testDir.dir, 'cache');
  });
  after(async () => {
    await testDir?.remove();
  });

  it('writes, reads back and removes an entry (creating the dir, leaving no tmp file)', async () => {
    const cache = new ResultCache(cacheDir);
    const written = entry('pod1', 'podnet', 'eth0', 0);
    assert.equal(await cache.read(written), undefined);
    await cache.write(written);
    assert.deepEqual(await readdir(cacheDir), ['pod1.podnet.eth0.json']);
    assert.deepEqual(await cache.read(written), written);
    await cache.write({ ...written, netnsPath: '/other' }); // overwrite in place
    assert.equal((await cache.read(written))?.netnsPath, '/other');
    await cache.remove(written);
    assert.equal(await cache.read(written), undefined);
    await cache.remove(written); // removing twice is fine
    assert.deepEqual(await readdir(cacheDir), []);
  });

  it('lists everything or one pod in setUp order; odd names cannot collide', async () => {
    const cache = new ResultCache(cacheDir);
    await cache.write(entry('pod2', 'b.net', 'net1', 1));
    await cache.write(entry('pod2', 'a-net', 'eth0', 0));
    await cache.write(entry('pod2.b', 'net', 'eth0', 0));
    await cache.write(entry('pod3', 'n/x', 'eth0', 0));
    assert.deepEqual((await cache.listPod('pod2')).map((e) => `${e.network}/${e.ifName}`), ['a-net/eth0', 'b.net/net1']);
    assert.deepEqual((await cache.listPod('pod2.b')).map((e) => e.network), ['net']);
    assert.equal((await cache.list()).length, 4);
    await cache.removePod('pod2');
    assert.deepEqual((await cache.list()).map((e) => e.podId).sort(), ['pod2.b', 'pod3']);
    await cache.removePod('pod2.b');
    await cache.removePod('pod3');
    assert.deepEqual(await cache.list(), []);
  });

  it('names the pods with files from the names alone, unreadable files included', async () => {
    const cache = new ResultCache(cacheDir);
    await cache.write(entry('pod5.x', 'n.et', 'eth0', 0));
    await cache.write(entry('pod5.x', 'other', 'net1', 1));
    await cache.write(entry('pod 6', 'net', 'eth0', 0));
    await writeFile(join(cacheDir, 'pod7.broken.eth0.json'), 'not json');
    await writeFile(join(cacheDir, '%E0%A4%A.net.eth0.json'), '{}'); // not a name the cache writes
    assert.deepEqual([...(await cache.podIds())].sort(), ['pod 6', 'pod5.x', 'pod7']);
    for (const pod of ['pod5.x', 'pod 6', 'pod7']) await cache.removePod(pod);
    await rm(join(cacheDir, '%E0%A4%A.net.eth0.json'));
    assert.deepEqual(await readdir(cacheDir), []);
  });

  it('skips unreadable files with a warning; removePod drops them too', async () => {
    const { log, lines } = captureLog();
    const cache = new ResultCache(cacheDir, log);
    await writeFile(join(cacheDir, 'pod4.broken.eth0.json'), '{"format": "something else"}');
    await cache.write(entry('pod4', 'good', 'eth0', 0));
    assert.deepEqual((await cache.listPod('pod4')).map((e) => e.network), ['good']);
    assert.ok(lines.some((l) => l.msg === 'skipping unreadable CNI result cache file'));
    await cache.removePod('pod4');
    assert.deepEqual(await readdir(cacheDir), []);
  });

  it('lists nothing when the dir does not exist yet', async () => {
    assert.deepEqual(await new ResultCache(join(testDir.dir, 'absent')).list(), []);
  });
});
