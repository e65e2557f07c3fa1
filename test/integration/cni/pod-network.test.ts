// PodNetworks against Debian's real CNI plugins (bridge, host-local, portmap,
// loopback) in throwaway network namespaces. Needs root, iproute2 and iptables.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { execa } from 'execa';
import { pino } from 'pino';
import type { CniConfig } from '../../../src/config/config.js';
import { PodNetworks, type PodNetworkRequest } from '../../../src/cni/pod-network.js';
import { CriError } from '../../../src/errors.js';
import { makeTestDir } from '../../harness/test-dir.js';

const PLUGIN_DIR = '/usr/lib/cni';
const BRIDGE = 'critst0';
const NETWORK = 'cri-ts-cnitest';

async function canRun(): Promise<string | false> {
  if (process.getuid?.() !== 0) return 'needs root';
  try {
    await access(join(PLUGIN_DIR, 'bridge'));
  } catch {
    return `needs the CNI plugins in ${PLUGIN_DIR}`;
  }
  return false;
}

async function sh(file: string, args: string[]): Promise<string> {
  const result = await execa(file, args, { reject: false });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

async function natRules(): Promise<string> {
  return sh('iptables', ['-w', '-t', 'nat', '-S']);
}

/** IPs host-local still holds in its data dir. */
async function allocatedIps(ipamDir: string): Promise<string[]> {
  try {
    return (await readdir(join(ipamDir, NETWORK))).filter((name) => /^\d+\.\d+\.\d+\.\d+$/.test(name));
  } catch {
    return [];
  }
}

/**
 * The bridge plugin (1.1.1) finds the masquerade rules to delete through the
 * addresses in the netns; with the netns gone they stay. Remove what it left
 * for `podId` (its rules carry id: "<podId>" in a comment).
 */
async function removeMasqueradeLeftovers(podId: string): Promise<void> {
  const rules = (await natRules()).split('\n');
  const chains = new Set<string>();
  for (const rule of rules) {
    if (!rule.startsWith('-A POSTROUTING') || !rule.includes(podId)) continue;
    const chain = /-j (CNI-[0-9a-f]+)/.exec(rule)?.[1];
    if (chain) chains.add(chain);
  }
  for (const chain of chains) {
    const listing = (await sh('iptables', ['-w', '-t', 'nat', '-L', 'POSTROUTING', '--line-numbers', '-n'])).split('\n');
    const numbers = listing
      .filter((line) => line.split(/\s+/)[1] === chain)
      .map((line) => Number(line.split(/\s+/)[0]))
      .sort((a, b) => b - a);
    for (const n of numbers) await sh('iptables', ['-w', '-t', 'nat', '-D', 'POSTROUTING', String(n)]);
    await sh('iptables', ['-w', '-t', 'nat', '-F', chain]);
    await sh('iptables', ['-w', '-t', 'nat', '-X', chain]);
  }
}

describe('PodNetworks with the real CNI plugins', async () => {
  const skip = await canRun();
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let confDir: string;
  let cacheDir: string;
  let ipamDir: string;
  const netnsNames: string[] = [];
  let netnsName: string;
  let netnsPath: string;
  let networks: PodNetworks;

  function conflist(overrides: { ipamSubnet?: string; extraPlugins?: Array<Record<string, unknown>> } = {}): string {
    return JSON.stringify({
      cniVersion: '1.0.0',
      name: NETWORK,
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: overrides.ipamSubnet ?? '10.77.0.0/16' }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: ipamDir,
          },
        },
        ...(overrides.extraPlugins ?? []),
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'loopback' },
      ],
    });
  }

  async function addNetns(): Promise<{ name: string; path: string }> {
    const name = `cri-ts-cnitest-${randomBytes(4).toString('hex')}`;
    await sh('ip', ['netns', 'add', name]);
    netnsNames.push(name);
    return { name, path: `/var/run/netns/${name}` };
  }

  function request(podId: string, extra: Partial<PodNetworkRequest> = {}): PodNetworkRequest {
    return { podId, netnsPath, podName: 'web', podNamespace: 'cnitest', podUid: `uid-${podId.slice(0, 8)}`, ...extra };
  }

  const newPodId = (): string => randomBytes(32).toString('hex');

  before(async () => {
    if (skip) return;
    await sh('sysctl', ['-w', 'net.ipv4.ip_forward=1']);
    testDir = await makeTestDir('cni-real');
    confDir = join(testDir.dir, 'net.d');
    cacheDir = join(testDir.dir, 'cache');
    ipamDir = join(testDir.dir, 'ipam');
    ({ name: netnsName, path: netnsPath } = await addNetns());
    const config: CniConfig = { binDirs: ['/opt/cni/bin', PLUGIN_DIR], confDir, maxConfNum: 1, confTemplate: '', pluginTimeoutMs: 60_000 };
    networks = new PodNetworks({ config, cacheDir, log: pino({ level: 'silent' }), pluginTimeoutMs: 30_000 });
  });

  beforeEach(async () => {
    if (skip) return;
    await rm(confDir, { recursive: true, force: true });
    await mkdir(confDir, { recursive: true });
    await writeFile(join(confDir, '10-cnitest.conflist'), conflist());
  });

  after(async () => {
    if (skip) return;
    for (const name of netnsNames) await execa('ip', ['netns', 'del', name], { reject: false });
    await execa('ip', ['link', 'del', BRIDGE], { reject: false });
    await testDir?.remove();
  });

  it('setUp gives eth0 an IP in 10.77.0.0/16 and tearDown removes it', { skip }, async () => {
    const podId = newPodId();
    try {
      const status = await networks.setUp(request(podId));
      assert.equal(status.ips.length, 1, JSON.stringify(status));
      const ip = status.ips[0] ?? '';
      assert.match(ip, /^10\.77\.\d+\.\d+$/);
      assert.deepEqual(status.attachments.map((a) => [a.network, a.ifName]), [[NETWORK, 'eth0']]);
      const addr = await sh('ip', ['netns', 'exec', netnsName, 'ip', 'addr']);
      assert.match(addr, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/16 .*eth0`));
      assert.match(addr, /inet 127\.0\.0\.1\/8 .*lo/, 'loopback is up');
      assert.deepEqual((await networks.cachedStatus(podId))?.ips, [ip]);
      await networks.check(podId);
      assert.deepEqual(await allocatedIps(ipamDir), [ip]);
    } finally {
      await networks.tearDown(podId, netnsPath);
    }
    assert.doesNotMatch(await sh('ip', ['netns', 'exec', netnsName, 'ip', 'addr']), /eth0/);
    assert.deepEqual(await allocatedIps(ipamDir), []);
    assert.equal(await networks.cachedStatus(podId), undefined);
  });

  it('a port mapping becomes an iptables DNAT rule, removed by tearDown', { skip }, async () => {
    const podId = newPodId();
    const hostPort = 30_000 + Math.floor(Math.random() * 9_000);
    try {
      await networks.setUp(request(podId, { portMappings: [{ hostPort, containerPort: 80, protocol: 'tcp' }, { hostPort: 0, containerPort: 81, protocol: 'tcp' }] }));
      assert.match(await natRules(), new RegExp(`--dport ${hostPort} `));
    } finally {
      await networks.tearDown(podId, netnsPath);
    }
    assert.doesNotMatch(await natRules(), new RegExp(`--dport ${hostPort} `));
    assert.doesNotMatch(await natRules(), new RegExp(podId), 'no rule of the pod is left');
  });

  it('tearDown uses the cached config after the conf dir changed, and twice is fine', { skip }, async () => {
    const podId = newPodId();
    try {
      await networks.setUp(request(podId));
      await rm(join(confDir, '10-cnitest.conflist'));
      await writeFile(join(confDir, '05-other.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'other', plugins: [{ type: 'no-such-plugin' }] }));
    } finally {
      await networks.tearDown(podId, netnsPath);
    }
    await networks.tearDown(podId, netnsPath);
    assert.deepEqual(await allocatedIps(ipamDir), []);
    assert.doesNotMatch(await sh('ip', ['netns', 'exec', netnsName, 'ip', 'addr']), /eth0/);
  });

  it('tearDown succeeds after the netns was deleted', { skip }, async () => {
    const podId = newPodId();
    const ns = await addNetns();
    try {
      await networks.setUp(request(podId, { netnsPath: ns.path }));
      await sh('ip', ['netns', 'del', ns.name]);
      await networks.tearDown(podId, ns.path);
      assert.equal(await networks.cachedStatus(podId), undefined);
      assert.deepEqual(await allocatedIps(ipamDir), [], 'host-local released the IP');
      await networks.tearDown(podId, ns.path);
    } finally {
      await execa('ip', ['netns', 'del', ns.name], { reject: false });
      await networks.tearDown(podId, ns.path).catch(() => undefined);
      await removeMasqueradeLeftovers(podId);
    }
  });

  it('a missing plugin fails setUp naming it and the dirs, undoing the rest and caching nothing', { skip }, async () => {
    await writeFile(join(confDir, '10-cnitest.conflist'), conflist({ extraPlugins: [{ type: 'cri-ts-no-such-plugin' }] }));
    const podId = newPodId();
    try {
      await assert.rejects(networks.setUp(request(podId)), (err: unknown) => {
        assert.ok(err instanceof CriError);
        assert.equal(err.kind, 'FailedPrecondition');
        assert.match(err.message, /CNI plugin "cri-ts-no-such-plugin" of network "cri-ts-cnitest" was not found in \/opt\/cni\/bin, \/usr\/lib\/cni/);
        return true;
      });
      assert.equal(await networks.cachedStatus(podId), undefined);
      assert.deepEqual(await readdir(cacheDir).catch(() => []), []);
      assert.deepEqual(await allocatedIps(ipamDir), [], 'the bridge ADD that succeeded was undone');
      assert.doesNotMatch(await sh('ip', ['netns', 'exec', netnsName, 'ip', 'addr']), /eth0/);
    } finally {
      await networks.tearDown(podId, netnsPath);
    }
  });

  it('a plugin error names the plugin type and the CNI code', { skip }, async () => {
    await writeFile(join(confDir, '10-cnitest.conflist'), conflist({ ipamSubnet: '10.77.0.0/99' }));
    const podId = newPodId();
    try {
      await assert.rejects(networks.setUp(request(podId)), (err: unknown) => {
        assert.ok(err instanceof CriError);
        assert.match(err.message, /CNI plugin "bridge" of network "cri-ts-cnitest" failed on ADD: CNI error code \d+/);
        assert.match(err.message, /10\.77\.0\.0\/99/);
        return true;
      });
      assert.equal(await networks.cachedStatus(podId), undefined);
    } finally {
      await networks.tearDown(podId, netnsPath);
      // the failed ADD leaves the bridge without an address, which trips the next ADD of bridge 1.1.1
      await execa('ip', ['link', 'del', BRIDGE], { reject: false });
    }
  });

  it('setUp without any config says the network plugin is not ready', { skip }, async () => {
    await rm(join(confDir, '10-cnitest.conflist'));
    await assert.rejects(networks.setUp(request(newPodId())), /network plugin is not ready: no network config found in .*net\.d/);
  });
});
