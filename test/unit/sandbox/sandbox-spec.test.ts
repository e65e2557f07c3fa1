import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CriError } from '../../../src/errors.js';
import type { PodSandboxConfig__Output } from '../../../src/generated/cri/runtime/v1/PodSandboxConfig.js';
import type { ImageConfig } from '../../../src/image/image-config.js';
import { resolvConfText } from '../../../src/sandbox/sandbox-files.js';
import { buildSandboxSpec } from '../../../src/sandbox/sandbox-spec.js';

const pause = { entrypoint: ['/pause'], cmd: [], env: ['PATH=/bin'] } as unknown as ImageConfig;

function podConfig(linux: Record<string, unknown> = {}): PodSandboxConfig__Output {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u', attempt: 0 },
    hostname: 'p-host',
    logDirectory: '/var/log/pods/x',
    dnsConfig: null,
    portMappings: [],
    labels: {},
    annotations: {},
    linux: { cgroupParent: '/kubepods/podu', securityContext: null, sysctls: {}, overhead: null, resources: null, ...linux },
    windows: null,
  } as unknown as PodSandboxConfig__Output;
}

const input = (config: PodSandboxConfig__Output, netnsPath: string | undefined) => ({
  id: 'a'.repeat(64),
  config,
  image: pause,
  imageName: 'registry.k8s.io/pause:3.10',
  netnsPath,
  shmPath: '/run/cri-ts/pods/x/shm',
  cgroupDriver: 'cgroupfs' as const,
  containerdNamespace: 'k8s.io',
  restrictOomScoreAdj: true,
  enableUnprivilegedPorts: true,
  enableUnprivilegedIcmp: true,
});

describe('pause container spec', () => {
  it('joins the pod netns, has its own UTS with the pod hostname, and the unprivileged port sysctls', () => {
    const spec = buildSandboxSpec(input(podConfig(), '/run/netns/cri-ts-x'));
    assert.deepEqual(spec.process?.args, ['/pause']);
    assert.deepEqual(spec.linux?.namespaces?.find((n) => n.type === 'network'), { type: 'network', path: '/run/netns/cri-ts-x' });
    assert.ok(spec.linux?.namespaces?.some((n) => n.type === 'uts' && !n.path));
    assert.equal(spec.hostname, 'p-host');
    assert.equal(spec.linux?.sysctl?.['net.ipv4.ip_unprivileged_port_start'], '0');
    assert.equal(spec.linux?.cgroupsPath, `/kubepods/podu/${'a'.repeat(64)}`);
    assert.equal(spec.root?.readonly, true);
    assert.equal(spec.mounts?.find((m) => m.destination === '/dev/shm')?.source, '/run/cri-ts/pods/x/shm');
    assert.ok((spec.process?.oomScoreAdj ?? -1000) >= -998);
  });

  it('uses the host network and UTS for a host-network pod, with no network sysctls', () => {
    const spec = buildSandboxSpec(input(podConfig({ securityContext: { namespaceOptions: { network: 'NODE', pid: 'POD', ipc: 'POD' } } }), undefined));
    assert.equal(spec.linux?.namespaces?.some((n) => n.type === 'network'), false);
    assert.equal(spec.linux?.namespaces?.some((n) => n.type === 'uts'), false);
    assert.equal(spec.hostname, undefined);
    assert.equal(spec.linux?.sysctl?.['net.ipv4.ip_unprivileged_port_start'], undefined);
  });

  describe("in the pod's own user namespace (mode POD)", () => {
    const mapping = { containerId: 0, hostId: 100000, length: 65536 };
    const userns = (namespaceOptions: Record<string, unknown> = {}) =>
      podConfig({ securityContext: { namespaceOptions: { network: 'POD', pid: 'POD', ipc: 'POD', ...namespaceOptions, usernsOptions: { mode: 'POD', uids: [mapping], gids: [mapping] } } } });

    it('makes the user namespace with the mappings and a network namespace of its own, without ping_group_range (unmapped groups)', () => {
      const spec = buildSandboxSpec(input(userns(), undefined));
      assert.ok(spec.linux?.namespaces?.some((n) => n.type === 'user' && !n.path));
      assert.deepEqual(spec.linux?.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
      assert.deepEqual(spec.linux?.gidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
      assert.deepEqual(spec.linux?.namespaces?.find((n) => n.type === 'network'), { type: 'network' });
      assert.equal(spec.linux?.sysctl?.['net.ipv4.ping_group_range'], undefined);
      assert.equal(spec.linux?.sysctl?.['net.ipv4.ip_unprivileged_port_start'], '0');
      assert.equal(spec.mounts?.find((m) => m.destination === '/sys')?.type, 'sysfs');
    });

    it("binds the node's /sys for a host-network pod, and refuses the node's pid or ipc namespace", () => {
      const spec = buildSandboxSpec(input(userns({ network: 'NODE' }), undefined));
      assert.equal(spec.linux?.namespaces?.some((n) => n.type === 'network'), false);
      assert.deepEqual(spec.mounts?.find((m) => m.destination === '/sys'), { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'rro', 'nosuid', 'nodev', 'noexec'] });
      for (const ns of ['pid', 'ipc']) {
        assert.throws(
          () => buildSandboxSpec(input(userns({ [ns]: 'NODE' }), undefined)),
          (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument' && e.message.includes(`the node's ${ns} namespace`),
        );
      }
    });

    it('has no user namespace for mode NODE', () => {
      const spec = buildSandboxSpec(input(podConfig({ securityContext: { namespaceOptions: { usernsOptions: { mode: 'NODE', uids: [], gids: [] } } } }), '/run/netns/x'));
      assert.equal(spec.linux?.namespaces?.some((n) => n.type === 'user'), false);
      assert.equal(spec.linux?.uidMappings, undefined);
      assert.equal(spec.linux?.sysctl?.['net.ipv4.ping_group_range'], '0 2147483647');
    });
  });

  it('refuses a sysctl that is not namespaced', () => {
    assert.throws(
      () => buildSandboxSpec(input(podConfig({ sysctls: { 'kernel.panic': '1' } }), '/run/netns/x')),
      (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument' && e.message.includes('kernel.panic'),
    );
  });
});

describe('pod resolv.conf', () => {
  it('is written from the DNS config', async () => {
    const text = await resolvConfText({ servers: ['10.96.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] });
    assert.equal(text, 'search ns.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
  });
});
