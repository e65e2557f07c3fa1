import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { crictl, crictlJson } from '../../harness/crictl.js';
import { OFFLINE_MIRRORS_TOML, PAUSE_IMAGE, requireOfflineRegistry, writeBridgeConflist } from '../../harness/offline-images.js';
import { waitFor } from '../../harness/processes.js';
import { startStack, type TestStack } from '../../harness/stack.js';

const exec = promisify(execFile);

interface PodStatus {
  status: { id: string; state: string; network: { ip: string }; metadata: { name: string } };
  info: { pid: number; netNamespacePath: string };
}

let podCount = 0;
async function podConfig(dir: string, extra: Record<string, unknown> = {}): Promise<string> {
  podCount++;
  const path = join(dir, `pod-${podCount}.json`);
  const config = {
    metadata: { name: `pod-${podCount}`, namespace: 'itest', uid: `uid-${podCount}`, attempt: 0 },
    hostname: `pod-${podCount}`,
    log_directory: join(dir, 'logs', `pod-${podCount}`),
    labels: { app: 'itest', n: String(podCount) },
    linux: {},
    ...extra,
  };
  await writeFile(path, JSON.stringify(config));
  return path;
}

async function runPod(stack: TestStack, configPath: string): Promise<string> {
  const result = await crictl(stack.criTs.socket, ['runp', configPath], 60);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

async function podNetnsNames(): Promise<string[]> {
  return (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith('cri-ts-'));
}

describe('pod sandboxes through crictl on real containerd, runc and CNI plugins', () => {
  let stack: TestStack;
  let ipamDir: string;

  before(async () => {
    await requireOfflineRegistry();
    stack = await startStack('pods', { topLevelToml: `sandbox_image = "${PAUSE_IMAGE}"`, extraToml: OFFLINE_MIRRORS_TOML });
    ipamDir = join(stack.dir, 'ipam');
    await writeBridgeConflist(join(stack.dir, 'cni-conf'), { name: 'itest', bridge: 'critsit0', subnet: '10.211.0.0/16', ipamDir });
  });

  after(async () => {
    for (const id of (await crictl(stack.criTs.socket, ['pods', '-q'])).stdout.split('\n').filter(Boolean)) {
      await crictl(stack.criTs.socket, ['rmp', '-f', id]);
    }
    await stack?.stop();
    await exec('ip', ['link', 'del', 'critsit0']).catch(() => undefined);
  });

  it('runs a pod with an IP from CNI in its own network namespace, then stops and removes it leaving nothing', async () => {
    const id = await runPod(stack, await podConfig(stack.dir));
    assert.match(id, /^[a-f0-9]{64}$/);
    const pod = await crictlJson<PodStatus>(stack.criTs.socket, ['inspectp', id]);
    assert.equal(pod.status.state, 'SANDBOX_READY');
    assert.match(pod.status.network.ip, /^10\.211\./);
    assert.ok(pod.info.pid > 0);
    const netns = pod.info.netNamespacePath;
    const addr = await exec('ip', ['netns', 'exec', netns.split('/').pop()!, 'ip', '-4', 'addr', 'show', 'eth0']);
    assert.match(addr.stdout, new RegExp(pod.status.network.ip));
    const ipFiles = await readdir(join(ipamDir, 'itest'));
    assert.ok(ipFiles.includes(pod.status.network.ip), 'host-local holds the IP');

    const stop = await crictl(stack.criTs.socket, ['stopp', id]);
    assert.equal(stop.code, 0, stop.stderr);
    const stopped = await crictlJson<PodStatus>(stack.criTs.socket, ['inspectp', id]);
    assert.equal(stopped.status.state, 'SANDBOX_NOTREADY');
    assert.equal(existsSync(netns), false, 'the netns is gone');
    assert.equal((await readdir(join(ipamDir, 'itest'))).includes(pod.status.network.ip), false, 'the IP is released');
    assert.equal((await readFile('/proc/self/mounts', 'utf8')).includes(id), false, 'no mount of the pod is left');
    assert.equal((await crictl(stack.criTs.socket, ['stopp', id])).code, 0, 'stopping again succeeds');

    const remove = await crictl(stack.criTs.socket, ['rmp', id]);
    assert.equal(remove.code, 0, remove.stderr);
    assert.equal((await crictl(stack.criTs.socket, ['inspectp', id])).code === 0, false);
    const { containers } = await stack.client.containers.List({ filters: [] });
    assert.equal(containers.some((c) => c.id === id), false, 'the pause container record is gone');
    const snapshots: string[] = [];
    for await (const page of stack.client.listSnapshots({ snapshotter: 'overlayfs' })) snapshots.push(...page.info.map((i) => i.name));
    assert.equal(snapshots.includes(id), false, 'its snapshot is gone');
    assert.equal((await crictl(stack.criTs.socket, ['rmp', id])).code !== 0 || true, true);
  });

  it('lists pods with id-prefix, state and label filters', async () => {
    const a = await runPod(stack, await podConfig(stack.dir));
    const b = await runPod(stack, await podConfig(stack.dir));
    await crictl(stack.criTs.socket, ['stopp', b]);
    const ready = (await crictl(stack.criTs.socket, ['pods', '-q', '--state', 'ready'])).stdout;
    assert.ok(ready.includes(a) && !ready.includes(b));
    const byLabel = (await crictl(stack.criTs.socket, ['pods', '-q', '--label', `n=${podCount}`])).stdout.trim();
    assert.equal(byLabel, b);
    const byPrefix = await crictlJson<PodStatus>(stack.criTs.socket, ['inspectp', a.slice(0, 12)]);
    assert.equal(byPrefix.status.id, a);
    for (const id of [a, b]) assert.equal((await crictl(stack.criTs.socket, ['rmp', '-f', id])).code, 0);
  });

  it('runs a host-network pod without a network namespace or CNI', async () => {
    const id = await runPod(stack, await podConfig(stack.dir, { linux: { security_context: { namespace_options: { network: 2 } } } }));
    const pod = await crictlJson<PodStatus>(stack.criTs.socket, ['inspectp', id]);
    assert.equal(pod.status.state, 'SANDBOX_READY');
    assert.equal(pod.status.network.ip, '');
    assert.equal(pod.info.netNamespacePath, '');
    assert.equal((await crictl(stack.criTs.socket, ['rmp', '-f', id])).code, 0);
  });

  it('refuses a sysctl that would change the node, naming it', async () => {
    const result = await crictl(stack.criTs.socket, ['runp', await podConfig(stack.dir, { linux: { sysctls: { 'kernel.panic': '1' } } })]);
    assert.match(result.stderr, /InvalidArgument.*kernel\.panic/);
  });

  it('notices at once when the pause process dies', async () => {
    const id = await runPod(stack, await podConfig(stack.dir));
    const pod = await crictlJson<PodStatus>(stack.criTs.socket, ['inspectp', id]);
    process.kill(pod.info.pid, 'SIGKILL');
    await waitFor('the pod to turn NOTREADY', async () => (await crictlJson<PodStatus>(stack.criTs.socket, ['inspectp', id])).status.state === 'SANDBOX_NOTREADY', 5000);
    assert.equal((await crictl(stack.criTs.socket, ['stopp', id])).code, 0, 'a pod whose pause died still stops');
    assert.equal((await crictl(stack.criTs.socket, ['rmp', id])).code, 0);
  });

  it('keeps pods across a cri-ts restart, and stops them afterwards with the cached CNI result', async () => {
    const id = await runPod(stack, await podConfig(stack.dir));
    const before = await crictlJson<PodStatus>(stack.criTs.socket, ['inspectp', id]);
    await stack.criTs.stop();
    await stack.criTs.start();
    const afterRestart = await crictlJson<PodStatus>(stack.criTs.socket, ['inspectp', id]);
    assert.equal(afterRestart.status.state, 'SANDBOX_READY');
    assert.equal(afterRestart.status.network.ip, before.status.network.ip);
    // a changed CNI config must not stop the old pod's teardown
    await rm(join(stack.dir, 'cni-conf', '10-itest.conflist'));
    assert.equal((await crictl(stack.criTs.socket, ['rmp', '-f', id])).code, 0);
    assert.equal((await readdir(join(ipamDir, 'itest'))).includes(before.status.network.ip), false, 'the IP was released through the cache');
    await writeBridgeConflist(join(stack.dir, 'cni-conf'), { name: 'itest', bridge: 'critsit0', subnet: '10.211.0.0/16', ipamDir });
  });

  it('undoes everything when a CNI plugin fails, and says which plugin', async () => {
    const confDir = join(stack.dir, 'cni-conf');
    await rm(join(confDir, '10-itest.conflist'));
    await writeBridgeConflist(confDir, { name: 'broken', bridge: 'critsit0', subnet: '10.212.0.0/16', ipamDir, firstPlugin: 'no-such-plugin' });
    const netnsBefore = await podNetnsNames();
    const result = await crictl(stack.criTs.socket, ['runp', await podConfig(stack.dir)]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /no-such-plugin/);
    assert.deepEqual(await podNetnsNames(), netnsBefore, 'no network namespace is left');
    assert.equal((await crictl(stack.criTs.socket, ['pods', '-q'])).stdout.trim(), '');
    const { containers } = await stack.client.containers.List({ filters: [] });
    assert.deepEqual(containers.map((c) => c.id), [], 'no container record is left');
    // The record, snapshot and shm are made while CNI runs: none of them may outlive its failure.
    const snapshots: string[] = [];
    for await (const page of stack.client.listSnapshots({ snapshotter: 'overlayfs' })) snapshots.push(...page.info.map((i) => i.name));
    assert.deepEqual(snapshots.filter((name) => /^[0-9a-f]{64}$/.test(name)), [], 'no pod snapshot is left');
    const shmMounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter((l) => l.includes(stack.dir) && l.includes('/shm '));
    assert.deepEqual(shmMounts, [], 'no shm mount is left');
    await rm(join(confDir, '10-broken.conflist'));
    await writeBridgeConflist(confDir, { name: 'itest', bridge: 'critsit0', subnet: '10.211.0.0/16', ipamDir });
  });

  it('runs two pods at once with distinct IPs', async () => {
    const [a, b] = await Promise.all([runPod(stack, await podConfig(stack.dir)), runPod(stack, await podConfig(stack.dir))]);
    const ips = await Promise.all([a, b].map(async (id) => (await crictlJson<PodStatus>(stack.criTs.socket, ['inspectp', id])).status.network.ip));
    assert.notEqual(ips[0], ips[1]);
    await Promise.all([a, b].map((id) => crictl(stack.criTs.socket, ['rmp', '-f', id])));
  });
});
