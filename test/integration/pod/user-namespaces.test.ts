import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { criClient, grpcCode } from '../../harness/cri-client.js';
import { crictl, crictlJson } from '../../harness/crictl.js';
import { pushTestImage } from '../../harness/image-push.js';
import { BUSYBOX_IMAGE } from '../../harness/offline-images.js';
import { type PodFixture, startPodFixture } from '../../harness/pod-fixture.js';
import { waitFor } from '../../harness/processes.js';
import { startTestRegistry } from '../../harness/registry.js';
import { RUNC_USERNS_HANDLER, runcHandlersToml } from '../../harness/runc.js';

const exec = promisify(execFile);

/** Host IDs no other test uses: the pod's root is host uid and gid 300000. */
const HOST_ID = 300_000;
const LENGTH = 65_536;
const mapping = { container_id: 0, host_id: HOST_ID, length: LENGTH };
/** The same mapping as the gRPC client spells it. */
const grpcMapping = { containerId: 0, hostId: HOST_ID, length: LENGTH };
const USERNS_FIELD = 'linux.security_context.namespace_options.userns_options';
/** crictl reads the config with encoding/json: enums are numbers (NamespaceMode POD = 0). */
const usernsPod = { linux: { security_context: { namespace_options: { userns_options: { mode: 0, uids: [mapping], gids: [mapping] } } } } };

interface Inspect {
  info: { pid: number; runtimeSpec: { mounts: Array<{ destination: string; uidMappings?: unknown[] }>; linux: { namespaces: Array<{ type: string; path?: string }> } } };
}

/** The real and effective uid and gid of a host process, from /proc. */
async function hostIds(pid: number): Promise<{ uid: number; gid: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))![1]);
  return { uid: field('Uid'), gid: field('Gid') };
}

async function exitedOutput(fixture: PodFixture, command: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const c = await fixture.run(command, extra);
  await waitFor('container exit', async () => (await crictlJson<{ status: { state: string } }>(fixture.stack.criTs.socket, ['inspect', c.id])).status.state === 'CONTAINER_EXITED');
  return (await readFile(c.logPath, 'utf8')).split('\n').map((l) => l.split(' ').slice(3).join(' ')).join('\n');
}

describe('user namespaces: a pod of its own user namespace on runc 1.4 (mode POD)', () => {
  let fixture: PodFixture;

  before(async () => {
    fixture = await startPodFixture('userns', { bridge: 'critsuns0', subnet: '10.241.0.0/16' }, usernsPod, {
      runtimeHandler: RUNC_USERNS_HANDLER,
      extraToml: runcHandlersToml(),
    });
  });

  after(async () => {
    await fixture?.stop();
  });

  it('runs the pause and app containers in one user namespace whose root is the mapped host ID, on a network namespace it owns', async () => {
    const c = await fixture.run(['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; ls -ln /bin/busybox; touch /made-by-root && ls -ln /made-by-root; sleep 300']);
    await waitFor('output', async () => (await readFile(c.logPath, 'utf8').catch(() => '')).includes('made-by-root'));
    const log = await readFile(c.logPath, 'utf8');
    assert.match(log, new RegExp(`\\s0\\s+${HOST_ID}\\s+${LENGTH}\\n[^\\n]*\\s0\\s+${HOST_ID}\\s+${LENGTH}\\n`), log);
    // The image's files are the pod's root's, and the root filesystem is writable by it.
    assert.match(log, /\s0\s+0\s+\d+ .*\/bin\/busybox/, log);
    assert.match(log, /\s0\s+0\s+0 .*\/made-by-root/, log);

    const socket = fixture.stack.criTs.socket;
    const app = await crictlJson<Inspect>(socket, ['inspect', c.id]);
    const pod = await crictlJson<{ status: { network: { ip: string } }; info: { pid: number } }>(socket, ['inspectp', fixture.podId]);
    assert.deepEqual(await hostIds(app.info.pid), { uid: HOST_ID, gid: HOST_ID });
    assert.deepEqual(await hostIds(pod.info.pid), { uid: HOST_ID, gid: HOST_ID }, 'the pause process is the pod root');
    const nsOf = async (pid: number, ns: string) => (await exec('readlink', [`/proc/${pid}/ns/${ns}`])).stdout.trim();
    assert.equal(await nsOf(app.info.pid, 'user'), await nsOf(pod.info.pid, 'user'));
    assert.notEqual(await nsOf(app.info.pid, 'user'), await nsOf(process.pid, 'user'));
    // CNI set up the netns the pause container made (so the pod's user namespace owns it).
    assert.match(pod.status.network.ip, /^10\.241\./);
    assert.equal(await nsOf(app.info.pid, 'net'), await nsOf(pod.info.pid, 'net'));
    const pinned = await stat(`/run/netns/cri-ts-${fixture.podId.slice(0, 32)}`);
    assert.equal(`net:[${pinned.ino}]`, await nsOf(pod.info.pid, 'net'));
  });

  it('maps a hostPath volume with uidMappings (idmapped) back to the host IDs, and one without to the pod range', async () => {
    const idmapped = join(fixture.stack.dir, 'vol-idmapped');
    const plain = join(fixture.stack.dir, 'vol-plain');
    await Promise.all([mkdir(idmapped), mkdir(plain)]);
    await exec('chown', [`${HOST_ID}:${HOST_ID}`, plain]);
    const out = await exitedOutput(fixture, ['sh', '-c', 'for d in /idmapped /plain; do touch $d/by-root && touch $d/by-5 && chown 5:6 $d/by-5 && echo wrote $d; done'], {
      mounts: [
        { container_path: '/idmapped', host_path: idmapped, uidMappings: [mapping], gidMappings: [mapping] },
        { container_path: '/plain', host_path: plain },
      ],
    });
    assert.match(out, /wrote \/idmapped\nwrote \/plain/, out);
    const owner = async (path: string) => {
      const s = await stat(path);
      return [s.uid, s.gid];
    };
    assert.deepEqual(await owner(join(idmapped, 'by-root')), [0, 0]);
    assert.deepEqual(await owner(join(idmapped, 'by-5')), [5, 6]);
    assert.deepEqual(await owner(join(plain, 'by-root')), [HOST_ID, HOST_ID]);
    assert.deepEqual(await owner(join(plain, 'by-5')), [HOST_ID + 5, HOST_ID + 6]);
  });

  it("gives the image's VOLUMEs the mapped owners: the image's own shifted, an absent path the pod's root", async () => {
    const registry = await startTestRegistry(join(fixture.stack.dir, 'registry'));
    try {
      const { reference } = await pushTestImage(registry.url, 'app/userns-volumes', 'v1', {
        files: { 'data/seed.txt': 'seed\n' },
        owners: { 'data/': { uid: 1000, gid: 2000, mode: 0o750 }, 'data/seed.txt': { uid: 1234, gid: 5678, mode: 0o600 } },
        volumes: ['/data', '/absent'],
        entrypoint: ['/never-started'],
      });
      const socket = fixture.stack.criTs.socket;
      assert.equal((await crictl(socket, ['pull', reference], 60)).code, 0);
      const configPath = join(fixture.stack.dir, 'volumes-ctr.json');
      await writeFile(configPath, JSON.stringify({ metadata: { name: 'vols' }, image: { image: reference }, linux: {} }));
      const created = await crictl(socket, ['create', fixture.podId, configPath, fixture.podConfigPath]);
      assert.equal(created.code, 0, created.stderr);
      const { info } = await crictlJson<{ info: { runtimeSpec: { mounts: Array<{ destination: string; source: string }> } } }>(socket, ['inspect', created.stdout.trim()]);
      const owner = async (path: string) => {
        const s = await stat(path);
        return [s.uid, s.gid];
      };
      const source = (destination: string) => info.runtimeSpec.mounts.find((m) => m.destination === destination)!.source;
      assert.deepEqual(await owner(source('/data')), [HOST_ID + 1000, HOST_ID + 2000]);
      assert.deepEqual(await owner(join(source('/data'), 'seed.txt')), [HOST_ID + 1234, HOST_ID + 5678]);
      assert.deepEqual(await owner(source('/absent')), [HOST_ID, HOST_ID]);
    } finally {
      await registry.stop();
    }
  });

  it("leaves no netns, lease or image copy behind once the pod is removed (cri-ts has containerd collect the copies at once)", async () => {
    const { stack, podId } = fixture;
    const copies = async () => {
      const names: string[] = [];
      for await (const page of stack.client.listSnapshots({ snapshotter: 'overlayfs' })) names.push(...page.info.map((s) => s.name));
      return names.filter((n) => n.startsWith('cri-ts-userns/'));
    };
    const made = await copies();
    // The pause image, busybox and the VOLUME test image: one copy each for this mapping.
    assert.equal(made.length, 3, made.join(', '));
    for (const name of made) assert.match(name, new RegExp(`^cri-ts-userns/u${HOST_ID}\\+${LENGTH}/g${HOST_ID}\\+${LENGTH}/sha256:[0-9a-f]{64}$`));
    const removed = await crictl(stack.criTs.socket, ['rmp', '-f', podId], 60);
    assert.equal(removed.code, 0, removed.stderr);
    await assert.rejects(stat(`/run/netns/cri-ts-${podId.slice(0, 32)}`));
    await waitFor('the image copies collected', async () => (await copies()).length === 0, 30_000);
    assert.deepEqual((await stack.client.leases.List({ filters: [] })).leases.map((l) => l.id), []);
  });
});

describe('user namespaces: what cri-ts reports, and the requests it refuses', () => {
  let fixture: PodFixture;
  let cri: ReturnType<typeof criClient>;

  before(async () => {
    fixture = await startPodFixture('usernsbad', { bridge: 'critsuns1', subnet: '10.242.0.0/16' }, {}, { extraToml: runcHandlersToml() });
    cri = criClient(fixture.stack.criTs.socket);
  });

  after(async () => {
    cri?.close();
    await fixture?.stop();
  });

  const runPod = (name: string, usernsOptions: Record<string, unknown>, runtimeHandler = RUNC_USERNS_HANDLER, namespaceOptions: Record<string, unknown> = {}) =>
    cri.runtime.RunPodSandbox({
      config: { metadata: { name, namespace: 'itest', uid: `${name}-uid` }, linux: { securityContext: { namespaceOptions: { ...namespaceOptions, usernsOptions } } } },
      runtimeHandler,
    });

  /** The pods and pinned network namespaces there are, to show a refused request left none behind. */
  const leftovers = async () => ({
    pods: (await cri.runtime.ListPodSandbox({})).items?.length ?? 0,
    netns: (await exec('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('cri-ts-')).length,
  });

  it('reports user namespace support for the runc 1.4 handler only (Debian runc 1.1.5 has no idmapped mounts), and host-network user namespaces', async () => {
    const status = await cri.runtime.Status({ verbose: false });
    const userns = Object.fromEntries((status.runtimeHandlers ?? []).map((h) => [h.name, h.features?.userNamespaces]));
    assert.deepEqual(userns, { '': false, runc: false, [RUNC_USERNS_HANDLER]: true });
    assert.equal(status.features?.userNamespacesHostNetwork, true);
  });

  it('refuses bad user namespace options with InvalidArgument naming the field, leaving nothing behind', async () => {
    const before = await leftovers();
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['two-uids', { mode: 'POD', uids: [grpcMapping, { ...grpcMapping, hostId: 2 * HOST_ID }], gids: [grpcMapping] }, /userns_options\.uids has 2 mappings; mode POD takes exactly one/],
      ['no-gids', { mode: 'POD', uids: [grpcMapping], gids: [] }, /userns_options\.gids has 0 mappings/],
      ['root-unmapped', { mode: 'POD', uids: [{ ...grpcMapping, containerId: 1 }], gids: [grpcMapping] }, /userns_options\.uids\[0\]\.container_id is 1; the mapping must start at container ID 0/],
      ['empty-range', { mode: 'POD', uids: [grpcMapping], gids: [{ ...grpcMapping, length: 0 }] }, /userns_options\.gids\[0\]\.length is 0/],
      ['past-ids', { mode: 'POD', uids: [{ ...grpcMapping, hostId: 2 ** 32 - 10 }], gids: [grpcMapping] }, /userns_options\.uids\[0\] maps 65536 IDs from container ID 0 to host ID 4294967286, past the last valid ID/],
      ['mode-container', { mode: 'CONTAINER' }, /userns_options\.mode CONTAINER is not supported/],
      ['mode-target', { mode: 'TARGET' }, /userns_options\.mode TARGET is not supported/],
      ['node-mapped', { mode: 'NODE', uids: [grpcMapping], gids: [grpcMapping] }, /userns_options: mode NODE takes no uids or gids/],
    ];
    for (const [name, usernsOptions, message] of cases) {
      await assert.rejects(runPod(name, usernsOptions), (err: unknown) => {
        assert.equal(grpcCode(err), 'INVALID_ARGUMENT', `${name}: ${String(err)}`);
        assert.match(String(err), new RegExp(`${USERNS_FIELD.replace(/\./g, '\\.')}`), name);
        assert.match(String(err), message, name);
        return true;
      });
    }
    await assert.rejects(runPod('host-pid', { mode: 'POD', uids: [grpcMapping], gids: [grpcMapping] }, RUNC_USERNS_HANDLER, { pid: 'NODE' }), (err: unknown) => {
      assert.equal(grpcCode(err), 'INVALID_ARGUMENT');
      assert.match(String(err), /userns_options mode POD cannot be combined with the node's pid namespace/);
      return true;
    });
    assert.deepEqual(await leftovers(), before);
  });

  it("refuses a pod of its own user namespace on the default handler (Debian's runc) with FailedPrecondition naming the handler, leaving nothing behind", async () => {
    const before = await leftovers();
    for (const handler of ['', 'runc']) {
      await assert.rejects(runPod(`debian-runc-${handler || 'default'}`, { mode: 'POD', uids: [grpcMapping], gids: [grpcMapping] }, handler), (err: unknown) => {
        assert.equal(grpcCode(err), 'FAILED_PRECONDITION', String(err));
        assert.match(String(err), /runtime handler "runc" cannot run a pod in its own user namespace .*runc reports no idmapped mounts.*user_namespaces/);
        return true;
      });
    }
    assert.deepEqual(await leftovers(), before);
    // Mode NODE (what kubelet sends for every pod with hostUsers unset) runs there as before.
    const { podSandboxId } = await runPod('debian-runc-node', { mode: 'NODE' }, '');
    await cri.runtime.RemovePodSandbox({ podSandboxId });
  });

  it("refuses an idmapped mount outside a pod's own user namespace, and a container asking for another user namespace than its pod's", async () => {
    const base = { metadata: { name: 'x' }, image: { image: BUSYBOX_IMAGE }, command: ['true'], linux: {} };
    await assert.rejects(
      cri.runtime.CreateContainer({ podSandboxId: fixture.podId, config: { ...base, mounts: [{ containerPath: '/v', hostPath: fixture.stack.dir, uidMappings: [grpcMapping], gidMappings: [grpcMapping] }] } }),
      (err: unknown) => grpcCode(err) === 'INVALID_ARGUMENT' && /mounts\[0\]\.uidMappings: idmapped mounts are for containers of a pod in its own user namespace/.test(String(err)),
    );
    const userns = { mode: 'POD' as const, uids: [grpcMapping], gids: [grpcMapping] };
    await assert.rejects(
      cri.runtime.CreateContainer({ podSandboxId: fixture.podId, config: { ...base, linux: { securityContext: { namespaceOptions: { usernsOptions: userns } } } } }),
      (err: unknown) => grpcCode(err) === 'INVALID_ARGUMENT' && new RegExp(`${USERNS_FIELD.replace(/\./g, '\\.')} differs from the pod's`).test(String(err)),
    );
  });

  it('runs a host-network pod in its own user namespace, with the node\'s /sys bound read-only', async () => {
    const dir = join(fixture.stack.dir, 'hostnet');
    await mkdir(dir);
    const podPath = join(dir, 'pod.json');
    const ctrPath = join(dir, 'ctr.json');
    await writeFile(podPath, JSON.stringify({ metadata: { name: 'hostnet', namespace: 'itest', uid: 'hostnet-uid' }, log_directory: dir, linux: { security_context: { namespace_options: { network: 2, userns_options: { mode: 0, uids: [mapping], gids: [mapping] } } } } }));
    await writeFile(ctrPath, JSON.stringify({ metadata: { name: 'c' }, image: { image: BUSYBOX_IMAGE }, command: ['sh', '-c', 'cat /proc/self/uid_map; ls /sys/class/net; touch /sys/x || echo sys-read-only'], log_path: 'c.log', linux: {} }));
    const socket = fixture.stack.criTs.socket;
    const pod = await crictl(socket, ['runp', '--runtime', RUNC_USERNS_HANDLER, podPath], 60);
    assert.equal(pod.code, 0, pod.stderr);
    const podId = pod.stdout.trim();
    try {
      const created = await crictl(socket, ['create', podId, ctrPath, podPath]);
      assert.equal(created.code, 0, created.stderr);
      assert.equal((await crictl(socket, ['start', created.stdout.trim()])).code, 0);
      await waitFor('output', async () => (await readFile(join(dir, 'c.log'), 'utf8').catch(() => '')).includes('sys-read-only'));
      const log = await readFile(join(dir, 'c.log'), 'utf8');
      assert.match(log, new RegExp(`\\s0\\s+${HOST_ID}\\s+${LENGTH}`));
      // The node's interfaces, the fixture's bridge among them.
      assert.match(log, /critsuns1/);
    } finally {
      await crictl(socket, ['rmp', '-f', podId]);
    }
  });
});
