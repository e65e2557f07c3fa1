import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostname } from 'node:os';
import { buildContainerSpec, containerArgs, pidNamespace } from '../../../src/container/container-spec.js';
import { layerDirs } from '../../../src/container/rootfs-files.js';
import { cgroupsPath } from '../../../src/oci/cgroups.js';
import { clampOomScoreAdj } from '../../../src/oci/oom-score.js';
import { checkSysctl } from '../../../src/oci/sysctls.js';
import type { ContainerConfig__Output } from '../../../src/generated/cri/runtime/v1/ContainerConfig.js';
import type { ImageConfig } from '../../../src/image/image-config.js';
import { CriError } from '../../../src/errors.js';
import type { SandboxMetadata } from '../../../src/sandbox/sandbox.js';

const image = { entrypoint: ['/entry'], cmd: ['default-arg'] } as unknown as ImageConfig;
const config = (command: string[], args: string[]): ContainerConfig__Output => ({ command, args }) as unknown as ContainerConfig__Output;

describe('container command (CRI rules)', () => {
  it('uses the image entrypoint and cmd when the config gives neither', () => {
    assert.deepEqual(containerArgs(config([], []), image), ['/entry', 'default-arg']);
  });
  it('replaces only cmd when the config gives args', () => {
    assert.deepEqual(containerArgs(config([], ['x']), image), ['/entry', 'x']);
  });
  it('drops both entrypoint and cmd when the config gives a command', () => {
    assert.deepEqual(containerArgs(config(['sh'], []), image), ['sh']);
    assert.deepEqual(containerArgs(config(['sh'], ['-c', 'true']), image), ['sh', '-c', 'true']);
  });
});

describe('container pid namespace (NamespaceOption)', () => {
  const withPid = (namespaceOptions: unknown): ContainerConfig__Output => ({ linux: { securityContext: { namespaceOptions } } }) as unknown as ContainerConfig__Output;
  it("joins the pod's when no namespace options are given, as the proto's zero value POD says", () => {
    assert.deepEqual(pidNamespace({ config: { linux: null } as unknown as ContainerConfig__Output, sandboxPid: 42 }), { kind: 'join', path: '/proc/42/ns/pid' });
    assert.deepEqual(pidNamespace({ config: withPid(null), sandboxPid: 42 }), { kind: 'join', path: '/proc/42/ns/pid' });
    assert.deepEqual(pidNamespace({ config: withPid({ pid: 'POD' }), sandboxPid: 42 }), { kind: 'join', path: '/proc/42/ns/pid' });
  });
  it('makes a new one for CONTAINER, uses the host for NODE, and joins the target for TARGET', () => {
    assert.deepEqual(pidNamespace({ config: withPid({ pid: 'CONTAINER' }), sandboxPid: 42 }), { kind: 'new' });
    assert.deepEqual(pidNamespace({ config: withPid({ pid: 'NODE' }), sandboxPid: 42 }), { kind: 'host' });
    assert.deepEqual(pidNamespace({ config: withPid({ pid: 'TARGET' }), sandboxPid: 42, targetPid: 7 }), { kind: 'join', path: '/proc/7/ns/pid' });
    assert.throws(() => pidNamespace({ config: withPid({ pid: 'TARGET' }), sandboxPid: 42 }), (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument');
  });
});

describe('spec pieces', () => {
  it('finds layer directories in overlay and bind mounts, topmost first', () => {
    assert.deepEqual(layerDirs([{ type: 'overlay', source: 'overlay', options: ['index=off', 'workdir=/w', 'upperdir=/u', 'lowerdir=/l2:/l1'] }]), ['/u', '/l2', '/l1']);
    assert.deepEqual(layerDirs([{ type: 'bind', source: '/only', options: ['rbind', 'ro'] }]), ['/only']);
  });

  it('builds cgroupfs and systemd cgroup paths', () => {
    assert.equal(cgroupsPath('/kubepods/pod1', 'abc', 'cgroupfs'), '/kubepods/pod1/abc');
    assert.equal(cgroupsPath('', 'abc', 'cgroupfs', 'k8s.io'), '/k8s.io/abc');
    assert.equal(cgroupsPath('/kubepods.slice/kubepods-pod1.slice', 'abc', 'systemd'), 'kubepods-pod1.slice:cri-ts:abc');
    assert.throws(() => cgroupsPath('/not-a-slice', 'abc', 'systemd'), (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument');
  });

  it('clamps oom_score_adj only when restricted', () => {
    assert.equal(clampOomScoreAdj(-998, true, 0), 0);
    assert.equal(clampOomScoreAdj(-998, false, 0), -998);
    assert.equal(clampOomScoreAdj(500, true, 0), 500);
  });

  it('accepts namespaced sysctls and refuses node-wide or host-namespace ones', () => {
    checkSysctl('kernel.shm_rmid_forced', { network: false, ipc: false });
    checkSysctl('net.ipv4.ip_local_port_range', { network: false, ipc: false });
    checkSysctl('fs.mqueue.msg_max', { network: false, ipc: false });
    for (const [name, host] of [
      ['kernel.panic', { network: false, ipc: false }],
      ['net.core.somaxconn', { network: true, ipc: false }],
      ['kernel.msgmax', { network: false, ipc: true }],
    ] as const) {
      assert.throws(() => checkSysctl(name, host), (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument' && e.message.includes(name));
    }
  });
});

describe('the whole container spec', () => {
  const sandbox = (hostname: string): SandboxMetadata =>
    ({ id: 'pod1', config: { hostname, metadata: { name: 'p', namespace: 'n', uid: 'u' }, linux: null }, hostNetwork: false, netnsPath: '/run/netns/x' }) as unknown as SandboxMetadata;
  const input = (config: Partial<ContainerConfig__Output>, hostname = 'pod-host') => ({
    id: 'c1',
    config: { metadata: { name: 'c' }, command: ['sh'], args: [], envs: [], mounts: [], devices: [], workingDir: '', tty: false, linux: null, ...config } as unknown as ContainerConfig__Output,
    sandbox: sandbox(hostname),
    sandboxPid: 42,
    sandboxFiles: { dir: '/p', hostname: '/p/hostname', hosts: '/p/hosts', resolvConf: '/p/resolv.conf', shm: '/s/shm' },
    image: { user: '', env: ['PATH=/bin'], entrypoint: [], cmd: [], workingDir: '', stopSignal: '', volumes: [], labels: {}, diffIds: [], raw: {} } as ImageConfig,
    imageName: 'busybox',
    user: { uid: 0, gid: 0, additionalGids: [0] },
    cgroupDriver: 'cgroupfs' as const,
    containerdNamespace: 'k8s.io',
    restrictOomScoreAdj: false,
  });

  it('sets HOSTNAME to the pod hostname, else the node hostname, and lets the config override it', async () => {
    assert.ok((await buildContainerSpec(input({}))).process?.env?.includes('HOSTNAME=pod-host'));
    assert.ok((await buildContainerSpec(input({}, ''))).process?.env?.includes(`HOSTNAME=${hostname()}`));
    const env = (await buildContainerSpec(input({ envs: [{ key: 'HOSTNAME', value: Buffer.from('mine') }] }))).process?.env ?? [];
    assert.deepEqual(env.filter((e) => e.startsWith('HOSTNAME=')), ['HOSTNAME=mine']);
  });

  it("joins its pod's own user namespace, keeping the mappings, with the pod's files and uidMappings mounts idmapped", async () => {
    const mapping = { containerId: 0, hostId: 100000, length: 65536 };
    const oci = { containerID: 0, hostID: 100000, size: 65536 };
    const usernsOptions = { mode: 'POD', uids: [mapping], gids: [mapping] };
    const base = input({
      mounts: [
        { containerPath: '/idmapped', hostPath: '/tmp', readonly: false, propagation: 'PROPAGATION_PRIVATE', uidMappings: [mapping], gidMappings: [mapping], mountOptions: [], image: null },
        { containerPath: '/plain', hostPath: '/tmp', readonly: false, propagation: 'PROPAGATION_PRIVATE', uidMappings: [], gidMappings: [], mountOptions: [], image: null },
      ],
    } as never);
    const podMetadata = { ...base.sandbox, config: { ...base.sandbox.config, linux: { securityContext: { namespaceOptions: { usernsOptions } } } } } as SandboxMetadata;
    const spec = await buildContainerSpec({ ...base, sandbox: podMetadata });
    assert.deepEqual(spec.linux?.namespaces?.find((n) => n.type === 'user'), { type: 'user', path: '/proc/42/ns/user' });
    assert.deepEqual(spec.linux?.uidMappings, [oci]);
    const mountAt = (destination: string) => spec.mounts?.find((m) => m.destination === destination);
    assert.deepEqual(mountAt('/idmapped')?.uidMappings, [oci]);
    assert.equal(mountAt('/plain')?.uidMappings, undefined);
    assert.deepEqual(mountAt('/etc/hosts')?.gidMappings, [oci]);
    assert.equal(mountAt('/dev/shm')?.uidMappings, undefined, 'the shm tmpfs (mode 1777) is left as it is');
    // The node's pid namespace cannot go with the pod's own user namespace (/proc would not mount).
    const hostPid = { ...base.config, linux: { securityContext: { namespaceOptions: { pid: 'NODE' } } } } as unknown as ContainerConfig__Output;
    await assert.rejects(buildContainerSpec({ ...base, config: hostPid, sandbox: podMetadata }), (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument');
  });

  it('has no user namespace in a pod of the node\'s, and refuses uidMappings on its mounts', async () => {
    const spec = await buildContainerSpec(input({}));
    assert.equal(spec.linux?.namespaces?.some((n) => n.type === 'user'), false);
    const mapping = { containerId: 0, hostId: 100000, length: 65536 };
    const mounted = input({ mounts: [{ containerPath: '/v', hostPath: '/tmp', readonly: false, propagation: 'PROPAGATION_PRIVATE', uidMappings: [mapping], gidMappings: [mapping], mountOptions: [], image: null }] } as never);
    await assert.rejects(buildContainerSpec(mounted), (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument' && e.message.startsWith('mounts[0].uidMappings'));
  });

  it('leaves oom_score_adj alone without resources and masks only the paths it is given', async () => {
    const spec = await buildContainerSpec(input({}));
    assert.equal(spec.process?.oomScoreAdj, undefined);
    assert.deepEqual(spec.linux?.maskedPaths, []);
    assert.deepEqual(spec.linux?.namespaces?.find((n) => n.type === 'pid'), { type: 'pid', path: '/proc/42/ns/pid' });
    const resources = { cpuPeriod: '0', cpuQuota: '0', cpuShares: '0', memoryLimitInBytes: '0', oomScoreAdj: '5', cpusetCpus: '', cpusetMems: '', hugepageLimits: [], unified: {}, memorySwapLimitInBytes: '0' };
    const withResources = await buildContainerSpec(input({ linux: { resources, securityContext: null } } as never));
    assert.equal(withResources.process?.oomScoreAdj, 5);
  });
});
