import assert from 'node:assert/strict';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { CniConfig } from '../../../src/config/config.js';
import { PodNetworks, type PodNetworkRequest } from '../../../src/cni/pod-network.js';
import { CriError } from '../../../src/errors.js';
import { makeTestDir } from '../../harness/test-dir.js';
import { captureLog, clearCalls, readCalls, writeFakePlugin } from './fake-plugins.js';

const ADD_A = JSON.stringify({
  cniVersion: '1.0.0',
  interfaces: [{ name: 'br' }, { name: 'eth0', sandbox: '/netns' }],
  ips: [{ address: 'fd00::4/64', interface: 1 }, { address: '10.0.0.4/24', interface: 1 }, { address: '10.0.0.1/24', interface: 0 }],
});
const ADD_B = JSON.stringify({
  cniVersion: '1.0.0',
  interfaces: [{ name: 'net1', sandbox: '/netns' }],
  ips: [{ address: '192.168.0.4/24', interface: 0 }],
});

describe('PodNetworks with fake plugins', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let bin: string;
  let confDir: string;
  let cacheDir: string;
  let netns: string;

  const request = (podId: string): PodNetworkRequest => ({
    podId,
    netnsPath: netns,
    podName: 'web',
    podNamespace: 'default',
    podUid: 'uid-1',
    portMappings: [
      { hostPort: 0, containerPort: 9090, protocol: 'tcp' },
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    ],
  });

  function networks(maxConfNum = 0): { pod: PodNetworks; lines: ReturnType<typeof captureLog>['lines'] } {
    const { log, lines } = captureLog();
    const config: CniConfig = { binDirs: [bin], confDir, maxConfNum, confTemplate: '', pluginTimeoutMs: 60_000 };
    return { pod: new PodNetworks({ config, cacheDir, log, pluginTimeoutMs: 5_000 }), lines };
  }

  async function writeConf(name: string, doc: Record<string, unknown>): Promise<void> {
    await writeFile(join(confDir, name), JSON.stringify(doc));
  }

  before(async () => {
    testDir = await makeTestDir('cni-pod');
    bin = join(testDir.dir, 'bin');
    confDir = join(testDir.dir, 'net.d');
    cacheDir = join(testDir.dir, 'cache');
    netns = join(testDir.dir, 'netns-file'); // stands in for a netns path that exists
    await mkdir(bin);
    await writeFile(netns, '');
    await writeFakePlugin(bin, 'plugA', { addOutput: ADD_A });
    await writeFakePlugin(bin, 'plugB', { addOutput: ADD_B });
    await writeFakePlugin(bin, 'broken', {
      failOn: { command: 'ADD', exitCode: 1, stdout: JSON.stringify({ code: 7, msg: 'bad config' }) },
    });
    await writeFakePlugin(bin, 'undeletable', {
      addOutput: ADD_A,
      failOn: { command: 'DEL', exitCode: 1, stdout: JSON.stringify({ code: 5, msg: 'cannot delete' }) },
    });
  });
  beforeEach(async () => {
    await clearCalls(bin);
    await rm(confDir, { recursive: true, force: true });
    await mkdir(confDir);
  });
  after(async () => {
    await testDir?.remove();
  });

  it('says the network plugin is not ready when no config loads', async () => {
    const { pod } = networks();
    await assert.rejects(pod.setUp(request('p0')), (err: unknown) => {
      assert.ok(err instanceof CriError);
      assert.equal(err.kind, 'FailedPrecondition');
      assert.match(err.message, /network plugin is not ready: no network config found in .*net\.d/);
      return true;
    });
  });

  it('attaches every network (eth0, net1), caches them and tears them down in reverse', async () => {
    await writeConf('10-a.conflist', { cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'plugA', capabilities: { portMappings: true } }] });
    await writeConf('20-b.conf', { cniVersion: '1.0.0', name: 'b', type: 'plugB' });
    const { pod } = networks();
    const status = await pod.setUp(request('p1'));
    assert.deepEqual(status.ips, ['10.0.0.4', 'fd00::4']);
    assert.deepEqual(status.attachments.map((a) => `${a.network}:${a.ifName}`), ['a:eth0', 'b:net1']);
    const adds = await readCalls(bin);
    assert.deepEqual(adds.map((c) => `${c.command} ${c.plugin} ${c.ifName}`), ['ADD plugA eth0', 'ADD plugB net1']);
    // hostPort 0 mappings are not handed to plugins
    assert.deepEqual(adds[0]?.input.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    assert.match(adds[0]?.args ?? '', /K8S_POD_INFRA_CONTAINER_ID=p1;K8S_POD_UID=uid-1;IgnoreUnknown=1$/);

    assert.deepEqual((await pod.cachedStatus('p1'))?.ips, ['10.0.0.4', 'fd00::4']);
    // a fresh instance (a restart) sees the same cache
    assert.deepEqual((await networks().pod.cachedStatus('p1'))?.attachments.length, 2);

    await clearCalls(bin);
    await pod.check('p1');
    assert.deepEqual((await readCalls(bin)).map((c) => `${c.command} ${c.plugin}`), ['CHECK plugA', 'CHECK plugB']);

    await clearCalls(bin);
    await rm(join(confDir, '10-a.conflist')); // the cache, not the dir, drives DEL
    await pod.tearDown('p1', netns);
    const dels = await readCalls(bin);
    assert.deepEqual(dels.map((c) => `${c.command} ${c.plugin} ${c.ifName}`), ['DEL plugB net1', 'DEL plugA eth0']);
    assert.deepEqual((dels[1]?.input.prevResult as { ips: unknown[] }).ips.length, 3);
    assert.equal(await pod.cachedStatus('p1'), undefined);
    await pod.tearDown('p1', netns); // nothing cached: nothing to do
    assert.equal((await readCalls(bin)).length, 2);
  });

  it('honours maxConfNum', async () => {
    await writeConf('10-a.conflist', { cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'plugA' }] });
    await writeConf('20-b.conflist', { cniVersion: '1.0.0', name: 'b', plugins: [{ type: 'plugB' }] });
    const { pod } = networks(1);
    const status = await pod.setUp(request('p2'));
    assert.deepEqual(status.attachments.map((a) => a.network), ['a']);
    await pod.tearDown('p2', netns);
  });

  it('undoes earlier networks when a later one fails, and caches nothing', async () => {
    await writeConf('10-a.conflist', { cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'plugA' }] });
    await writeConf('20-b.conflist', { cniVersion: '1.0.0', name: 'b', plugins: [{ type: 'plugB' }, { type: 'broken' }] });
    const { pod } = networks();
    await assert.rejects(pod.setUp(request('p3')), (err: unknown) => {
      assert.ok(err instanceof CriError);
      assert.match(err.message, /CNI plugin "broken" of network "b" failed on ADD: CNI error code 7 \(invalid network config\): bad config/);
      return true;
    });
    const calls = (await readCalls(bin)).map((c) => `${c.command} ${c.plugin}`);
    assert.deepEqual(calls, ['ADD plugA', 'ADD plugB', 'ADD broken', 'DEL broken', 'DEL plugB', 'DEL plugA']);
    assert.deepEqual(await readdir(cacheDir).catch(() => []), []);
  });

  it('a DEL failure keeps the cache for a retry, unless the netns is gone', async () => {
    await writeConf('10-u.conflist', { cniVersion: '1.0.0', name: 'u', plugins: [{ type: 'undeletable' }] });
    const { pod, lines } = networks();
    await pod.setUp(request('p4'));
    await assert.rejects(pod.tearDown('p4', netns), /"undeletable" of network "u" failed on DEL: CNI error code 5/);
    assert.ok(await pod.cachedStatus('p4'));

    const gone = join(testDir.dir, 'deleted-netns');
    await pod.tearDown('p4', gone);
    assert.equal(await pod.cachedStatus('p4'), undefined);
    const calls = await readCalls(bin);
    assert.equal(calls.at(-1)?.netns, gone, 'the missing netns path is still passed to the plugin');
    assert.ok(lines.some((l) => l.level === 40 && /already gone/.test(l.msg)));
    assert.ok(!lines.some((l) => l.level >= 50), 'no error logs');
  });

  it('refuses bad requests', async () => {
    const { pod } = networks();
    await assert.rejects(pod.setUp({ ...request('p5'), netnsPath: 'relative' }), /must be absolute/);
    await assert.rejects(pod.setUp({ ...request('p5'), ifName: 'a/b' }), /interface name/);
    await assert.rejects(pod.setUp({ ...request('p5'), podName: 'x;y' }), /must not contain ";"/);
    await assert.rejects(
      pod.setUp({ ...request('p5'), portMappings: [{ hostPort: 70000, containerPort: 80, protocol: 'tcp' }] }),
      /port mapping .* needs hostPort and containerPort from 1 to 65535/,
    );
  });
});
