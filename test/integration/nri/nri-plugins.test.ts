import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { criClient } from '../../harness/cri-client.js';
import { crictl, crictlJson } from '../../harness/crictl.js';
import { describeLeaks, type LeakList, listLeaks } from '../../harness/leak-list.js';
import { type ExternalNriPlugin, nriPluginSynchronized, nriTestPluginBinary, type NriTestEvent, readNriEvents, startExternalNriPlugin } from '../../harness/nri-plugin.js';
import { type PodFixture, startPodFixture } from '../../harness/pod-fixture.js';
import { waitFor } from '../../harness/processes.js';
import { Multiplexer, MuxConn } from '../../../src/nri/mux.js';
import { encodeMessage } from '../../../src/nri/nri-wire.js';
import { TtrpcClient } from '../../../src/nri/ttrpc-client.js';
import { encodeTtrpcFrame } from '../../../src/nri/ttrpc-frame.js';

interface Inspect {
  status: { id: string; state: string; exitCode: number };
  info: { pid: number; runtimeSpec: { annotations?: Record<string, string>; linux?: { cgroupsPath?: string; resources?: { memory?: { limit?: number } } } } };
}

/** The events of one kind about one container, in the order the plugin saw them. */
const about = (events: NriTestEvent[], containerId: string): string[] => events.filter((e) => e.containerId === containerId).map((e) => e.event);

describe('NRI plugins built on containerd/nri drive pods and containers on real containerd and runc', () => {
  let fixture: PodFixture;
  let nriDir: string;
  let socket: string;
  let binary: string;
  const launchedEvents = (): Promise<NriTestEvent[]> => readNriEvents(join(nriDir, 'launched.events'));
  const criTsLog = (): Promise<string> => fixture.stack.criTs.log();
  const inspect = (id: string): Promise<Inspect> => crictlJson<Inspect>(fixture.stack.criTs.socket, ['inspect', id]);
  const externals: ExternalNriPlugin[] = [];
  const external = async (name: string, idx: string, raw = false): Promise<ExternalNriPlugin> => {
    const plugin = await startExternalNriPlugin(binary, { socket, dir: nriDir, name, idx, raw, runtimeLog: criTsLog });
    externals.push(plugin);
    return plugin;
  };
  /** The host cgroup v1 file of a running container, from its spec's cgroups path (cgroupfs driver). */
  const cgroupFile = async (id: string, file: string): Promise<string> => {
    const path = (await inspect(id)).info.runtimeSpec.linux?.cgroupsPath ?? '';
    const controller = file.split('.')[0]!;
    return (await readFile(join('/sys/fs/cgroup', controller, path, file), 'utf8')).trim();
  };

  /**
   * What the fixture's cri-ts holds on the host and in containerd (its pod
   * stays up throughout): a case whose containers are all removed must end
   * with what it began with.
   */
  const traces = (): Promise<LeakList> =>
    listLeaks({
      root: join(fixture.stack.dir, 'cri-ts-root'),
      state: join(fixture.stack.dir, 'cri-ts-state'),
      testDir: fixture.stack.dir,
      containerd: () => fixture.stack.client,
      containerdAddress: () => fixture.stack.containerd.address,
      bridge: 'critsnri0',
      ipamDir: join(fixture.stack.dir, 'ipam'),
      cgroupParent: '/crits-nri-has-no-parent',
    });
  const assertNothingLeftSince = async (before: LeakList): Promise<void> => {
    let now = await traces();
    // Creation leases are released, and shims exit, just after the replies.
    for (let i = 0; i < 50 && describeLeaks(now) !== describeLeaks(before); i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await traces();
    }
    assert.equal(describeLeaks(now), describeLeaks(before), 'what is left now differs from what was there before');
  };

  before(async () => {
    binary = await nriTestPluginBinary();
    nriDir = await mkdtemp(join(tmpdir(), 'crits-nri-'));
    socket = join(nriDir, 'nri.sock');
    await mkdir(join(nriDir, 'plugins'));
    await mkdir(join(nriDir, 'conf.d'));
    // A plugin cri-ts starts itself, with its drop-in configuration naming its events file.
    await copyFile(binary, join(nriDir, 'plugins', '10-launched'));
    await writeFile(join(nriDir, 'conf.d', 'launched.conf'), `events=${join(nriDir, 'launched.events')}\n`);
    const nriToml = [
      '[nri]',
      'enable = true',
      `socket_path = ${JSON.stringify(socket)}`,
      `plugin_path = ${JSON.stringify(join(nriDir, 'plugins'))}`,
      `plugin_config_path = ${JSON.stringify(join(nriDir, 'conf.d'))}`,
      'plugin_request_timeout = "1s"',
    ].join('\n');
    fixture = await startPodFixture('nri', { bridge: 'critsnri0', subnet: '10.238.0.0/16' }, {}, { extraToml: nriToml });
  });

  after(async () => {
    for (const plugin of externals) await plugin.stop();
    await fixture?.stop();
    if (nriDir) await rm(nriDir, { recursive: true, force: true });
  });

  it('starts the plugin under plugin_path with its configuration before serving pods, and tells it the pod ran', async () => {
    const events = await launchedEvents();
    assert.equal(events[0]?.event, 'Configure');
    assert.match(events[0]?.detail?.config ?? '', /^events=/);
    assert.equal(events[0]?.detail?.runtime, 'cri-ts');
    const run = events.find((e) => e.event === 'RunPodSandbox' && e.podId === fixture.podId);
    assert.ok(run, 'RunPodSandbox reached the plugin');
    assert.equal(run.podName, 'nri-pod');
    assert.match(run.detail?.ips ?? '', /10\.238\./);
    assert.ok(Number(run.detail?.pid) > 0, 'the pause pid is known');
  });

  it('relays a container’s life in order: create, post-create, start (with the pid), post-start, stop (with the exit code), remove', async () => {
    const c = await fixture.run(['sh', '-c', 'exit 3']);
    await waitFor('the exit', async () => (await inspect(c.id)).status.state === 'CONTAINER_EXITED');
    await waitFor('the stop event', async () => about(await launchedEvents(), c.id).includes('StopContainer'));
    assert.equal((await crictl(fixture.stack.criTs.socket, ['rm', c.id])).code, 0);
    const events = (await launchedEvents()).filter((e) => e.containerId === c.id);
    assert.deepEqual(
      events.map((e) => e.event),
      ['CreateContainer', 'PostCreateContainer', 'StartContainer', 'PostStartContainer', 'StopContainer', 'RemoveContainer'],
    );
    assert.ok(Number(events[2]!.detail?.pid) > 0, 'StartContainer carries the created task’s pid');
    assert.equal(events[4]!.detail?.exitCode, '3');
    assert.equal(events[4]!.state, 'CONTAINER_STOPPED');
  });

  it('applies the plugin’s adjustments to the container before it is created: env, annotation, mount, device, rlimit, hook, memory limit', async () => {
    const hookFile = join(nriDir, 'hook.out');
    const c = await fixture.run(
      ['sh', '-c', 'echo "env=$NRI_INJECTED removed=${NRI_REMOVE_ME:-gone}"; grep " /nri-tmpfs " /proc/mounts; ls -l /dev/nri-null; ulimit -n; ulimit -Hn; sleep 60'],
      // The padding makes each message to the plugin larger than a Go reader takes in one mux frame.
      { annotations: { 'nri-test/adjust': 'true', 'nri-test/hook-file': hookFile, 'nri-test/padding': 'x'.repeat(20_000) }, envs: [{ key: 'NRI_REMOVE_ME', value: 'here' }] },
    );
    await waitFor('the container’s output', async () => (await readFile(c.logPath, 'utf8').catch(() => '')).split('\n').length > 5);
    const out = (await readFile(c.logPath, 'utf8')).split('\n').map((l) => l.split(' ').slice(3).join(' '));
    assert.ok(out.includes('env=yes removed=gone'), out.join('\n'));
    assert.ok(out.some((l) => /^tmpfs \/nri-tmpfs tmpfs .*nosuid/.test(l)), out.join('\n'));
    assert.ok(out.some((l) => /^crw-rw-rw-\s+1 root\s+root\s+1,\s+3 .* \/dev\/nri-null$/.test(l)), out.join('\n'));
    assert.ok(out.includes('900') && out.includes('1000'), out.join('\n'));
    const spec = (await inspect(c.id)).info.runtimeSpec;
    assert.equal(spec.annotations?.['nri-test/adjusted'], 'yes');
    assert.equal(spec.linux?.resources?.memory?.limit, 96 << 20);
    assert.equal(await cgroupFile(c.id, 'memory.limit_in_bytes'), String(96 << 20));
    assert.match(await readFile(hookFile, 'utf8'), new RegExp(`"id":"${c.id}"`), 'the createRuntime hook ran with the container’s state');
    assert.equal((await crictl(fixture.stack.criTs.socket, ['rm', '-f', c.id])).code, 0);
  });

  it('fails CreateContainer when a plugin answers an error, leaving nothing behind', async () => {
    const path = join(fixture.stack.dir, 'failing.json');
    await writeFile(path, JSON.stringify({ metadata: { name: 'refused' }, image: { image: '127.0.0.1:5000/e2e-test-images/busybox:1.29-2' }, command: ['true'], annotations: { 'nri-test.launched/fail': 'no room for you' }, linux: {} }));
    const result = await crictl(fixture.stack.criTs.socket, ['create', fixture.podId, path, fixture.podConfigPath]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /NRI plugin 10-launched failed CreateContainer: no room for you/);
    assert.equal((await crictl(fixture.stack.criTs.socket, ['ps', '-a', '--name', 'refused', '-q'])).stdout.trim(), '');
    const { containers } = await fixture.stack.client.containers.List({ filters: [] });
    const ids = new Set(containers.map((r) => r.id));
    const attempted = (await launchedEvents()).filter((e) => e.containerName === 'refused');
    assert.deepEqual(
      attempted.map((e) => e.event),
      ['CreateContainer', 'StopContainer', 'RemoveContainer'],
      'plugins hear the refused container is gone again',
    );
    assert.equal(ids.has(attempted[0]!.containerId!), false, 'no containerd record left');
  });

  it('synchronizes a plugin that connects later with the pods and running containers there are; it then sees new steps', async () => {
    const running = await fixture.run(['sleep', '60']);
    const late = await external('late', '20');
    const sync = (await late.events()).find((e) => e.event === 'Synchronize')!;
    assert.ok(sync.pods?.includes(fixture.podId));
    assert.ok(sync.containers?.includes(running.id));
    const next = await fixture.run(['sleep', '60']);
    await waitFor('the late plugin’s CreateContainer', async () => about(await late.events(), next.id).includes('StartContainer'));
    for (const id of [running.id, next.id]) assert.equal((await crictl(fixture.stack.criTs.socket, ['rm', '-f', id])).code, 0);
    await late.stop();
  });

  it('drops a plugin that hangs past plugin_request_timeout, with a log line; the container is created without it', async () => {
    const hanging = await external('hangs', '30');
    const before = await traces();
    const started = Date.now();
    const c = await fixture.run(['sleep', '60'], { annotations: { 'nri-test.hangs/hang': 'true' } });
    assert.ok(Date.now() - started < 8000);
    assert.equal((await inspect(c.id)).status.state, 'CONTAINER_RUNNING');
    const log = await criTsLog();
    assert.match(log, /"plugin":"30-hangs","reason":"CreateContainer failed: CreateContainer got no answer within 1000 ms"[^\n]*"msg":"NRI plugin dropped"/);
    // dropped: the next container's steps do not reach it
    const next = await fixture.run(['true']);
    await waitFor('the launched plugin’s start event', async () => about(await launchedEvents(), next.id).includes('StartContainer'));
    assert.deepEqual(about(await hanging.events(), next.id), []);
    for (const id of [c.id, next.id]) assert.equal((await crictl(fixture.stack.criTs.socket, ['rm', '-f', id])).code, 0);
    await assertNothingLeftSince(before);
  });

  it('drops a plugin that crashes in the middle of a request; the container is created without it', async () => {
    const crashing = await external('crashes', '40');
    const before = await traces();
    const c = await fixture.run(['sleep', '60'], { annotations: { 'nri-test.crashes/crash': 'true' } });
    assert.equal((await inspect(c.id)).status.state, 'CONTAINER_RUNNING');
    await waitFor('the crash', () => crashing.process.exitCode !== null);
    assert.match(await criTsLog(), /"plugin":"40-crashes"[^\n]*"msg":"NRI plugin (dropped|disconnected)"/);
    assert.equal((await crictl(fixture.stack.criTs.socket, ['rm', '-f', c.id])).code, 0);
    await assertNothingLeftSince(before);
  });

  it('drops a plugin that answers garbage; the container is created without it', async () => {
    // A peer that registers properly and then answers CreateContainer with bytes that are no ttrpc response.
    const peer = connect(socket);
    const mux = new Multiplexer(peer);
    const plugin = mux.open(MuxConn.pluginService);
    const runtime = new TtrpcClient(mux.open(MuxConn.runtimeService), () => undefined);
    let configured = false;
    plugin.onData = (bytes) => {
      const method = bytes.toString('latin1');
      if (method.includes('Configure')) {
        configured = true;
        plugin.write(encodeTtrpcFrame({ streamId: bytes.readUInt32BE(4), type: 2, flags: 0, data: encodeMessage('ttrpc.Response', { payload: encodeMessage('ConfigureResponse', { events: 0 }) }) }));
      } else if (method.includes('Synchronize')) {
        plugin.write(encodeTtrpcFrame({ streamId: bytes.readUInt32BE(4), type: 2, flags: 0, data: encodeMessage('ttrpc.Response', { payload: encodeMessage('SynchronizeResponse', {}) }) }));
      } else {
        plugin.write(Buffer.from('\x00\x00\x00\x05\x00\x00\x00\x03\x07\x00garbage that is no frame'));
      }
    };
    await runtime.call('nri.pkg.api.v1alpha1.Runtime', 'RegisterPlugin', encodeMessage('RegisterPluginRequest', { pluginName: 'garbage', pluginIdx: '45' }), 5000);
    await waitFor('the garbage plugin to be synchronized', async () => configured && nriPluginSynchronized(await criTsLog(), '45-garbage'));
    const before = await traces();
    const c = await fixture.run(['sleep', '60']);
    assert.equal((await inspect(c.id)).status.state, 'CONTAINER_RUNNING');
    assert.match(await criTsLog(), /"plugin":"45-garbage","reason":"it broke the protocol[^\n]*"msg":"NRI plugin dropped"/);
    await waitFor('cri-ts to close the connection', () => mux.isClosed);
    peer.destroy();
    assert.equal((await crictl(fixture.stack.criTs.socket, ['rm', '-f', c.id])).code, 0);
    await assertNothingLeftSince(before);
  });

  it('applies a plugin’s updates to other containers, asked in its CreateContainer answer or on its own', async () => {
    const target = await fixture.run(['sleep', '60']);
    const asker = await fixture.run(['sleep', '60'], { annotations: { 'nri-test/update': target.id, 'nri-test/unsolicited-shares': '256' } });
    assert.equal(await cgroupFile(target.id, 'cpu.shares'), '300', 'CreateContainer answer’s update');
    await waitFor('the unsolicited update', async () => (await launchedEvents()).some((e) => e.event === 'UpdateContainersDone' && e.containerId === asker.id));
    assert.equal((await launchedEvents()).find((e) => e.event === 'UpdateContainersDone' && e.containerId === asker.id)!.detail?.failed, '0');
    assert.equal(await cgroupFile(asker.id, 'cpu.shares'), '256');
    for (const id of [target.id, asker.id]) assert.equal((await crictl(fixture.stack.criTs.socket, ['rm', '-f', id])).code, 0);
  });

  it('relays UpdateContainerResources as UpdateContainer and PostUpdateContainer', async () => {
    const c = await fixture.run(['sleep', '60']);
    assert.equal((await crictl(fixture.stack.criTs.socket, ['update', '--memory', String(80 << 20), c.id])).code, 0);
    const events = (await launchedEvents()).filter((e) => e.containerId === c.id);
    const update = events.find((e) => e.event === 'UpdateContainer');
    assert.equal(update?.detail?.memory, String(80 << 20));
    assert.ok(events.some((e) => e.event === 'PostUpdateContainer'));
    assert.equal(await cgroupFile(c.id, 'memory.limit_in_bytes'), String(80 << 20));
    assert.equal((await crictl(fixture.stack.criTs.socket, ['rm', '-f', c.id])).code, 0);
  });

  it('relays UpdatePodSandboxResources as UpdatePodSandbox and PostUpdatePodSandbox', async () => {
    const cri = criClient(fixture.stack.criTs.socket);
    try {
      await cri.runtime.UpdatePodSandboxResources({ podSandboxId: fixture.podId, resources: { cpuShares: 1536 } });
    } finally {
      cri.close();
    }
    const events = (await launchedEvents()).filter((e) => e.podId === fixture.podId && e.event.includes('UpdatePodSandbox'));
    assert.deepEqual(
      events.map((e) => e.event),
      ['UpdatePodSandbox', 'PostUpdatePodSandbox'],
    );
    assert.equal(events[0]!.detail?.cpuShares, '1536');
  });

  it('evicts containers a plugin names, in its CreateContainer answer or on its own; an older plugin hears RemoveContainer as StateChange', async () => {
    const raw = await external('evictor', '60', true);
    const first = await fixture.run(['sleep', '60']);
    const second = await fixture.run(['sleep', '60']);
    const evicting = await fixture.run(['sleep', '60'], { annotations: { 'nri-test/evict': first.id } });
    await waitFor('the eviction', async () => (await inspect(first.id)).status.state === 'CONTAINER_EXITED');
    const third = await fixture.create(['sleep', '60'], { annotations: { 'nri-test/evict-unsolicited': second.id } });
    await waitFor('the unsolicited eviction', async () => (await inspect(second.id)).status.state === 'CONTAINER_EXITED');
    assert.equal((await crictl(fixture.stack.criTs.socket, ['rm', '-f', first.id])).code, 0);
    await waitFor('StateChange(REMOVE_CONTAINER)', async () => (await raw.events()).some((e) => e.event === 'StateChange' && e.containerId === first.id && e.detail?.event === 'REMOVE_CONTAINER'));
    assert.match(await criTsLog(), /"plugin":"60-evictor"[^\n]*sending it as StateChange/);
    for (const id of [second.id, third.id, evicting.id]) assert.equal((await crictl(fixture.stack.criTs.socket, ['rm', '-f', id])).code, 0);
    await raw.stop();
  });

  it('fails RunPodSandbox a plugin refuses, leaving no pod behind', async () => {
    const path = join(fixture.stack.dir, 'refused-pod.json');
    await writeFile(path, JSON.stringify({ metadata: { name: 'refused-pod', namespace: 'itest', uid: 'refused-uid' }, annotations: { 'nri-test/fail-run': 'not on this node' }, linux: {} }));
    const result = await crictl(fixture.stack.criTs.socket, ['runp', path], 60);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /not on this node/);
    assert.equal((await crictl(fixture.stack.criTs.socket, ['pods', '--name', 'refused-pod', '-q'])).stdout.trim(), '');
    const refused = (await launchedEvents()).filter((e) => e.podName === 'refused-pod').map((e) => e.event);
    assert.deepEqual(refused, ['RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox']);
  });
});
