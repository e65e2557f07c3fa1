import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerAdjustment } from '../../../src/nri/nri-types.js';
import { decodeMessage, encodeMessage } from '../../../src/nri/nri-wire.js';
import type { OciSpec } from '../../../src/oci/oci-types.js';
import { applyContainerAdjustment } from '../../../src/nri/spec-adjustment.js';
import type { ContainerAdjustment__Output } from '../../../src/nri/nri-types.js';

/** An adjustment as it arrives from a plugin (decoded, every field present). */
const adjustment = (a: ContainerAdjustment): ContainerAdjustment__Output => decodeMessage('ContainerAdjustment', encodeMessage('ContainerAdjustment', a));

const host = { swap: true, hugetlb: true };

function baseSpec(): OciSpec {
  return {
    ociVersion: '1.0.2',
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], env: ['PATH=/bin', 'KEEP=1', 'DROP=x', 'CHANGE=old'], cwd: '/', oomScoreAdj: 100 },
    annotations: { keep: 'k', drop: 'd' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/data', type: 'bind', source: '/old', options: ['rbind'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/run/netns/x' }], sysctl: { 'net.a': '1' }, resources: { cpu: { shares: 2 } } },
  };
}

describe('applying an NRI adjustment to a container OCI spec', () => {
  it('adds, changes and removes annotations, env (in place), mounts, sysctls and namespaces; a leading "-" removes', () => {
    const spec = baseSpec();
    applyContainerAdjustment(
      spec,
      adjustment({
        annotations: { new: 'n', '-drop': '' },
        env: [{ key: 'CHANGE', value: 'new' }, { key: '-DROP' }, { key: 'ADDED', value: 'a' }],
        mounts: [{ destination: '/data', type: 'bind', source: '/new', options: ['rbind', 'ro'] }, { destination: '/a/b', type: 'tmpfs', source: 'tmpfs' }, { destination: '-/proc' }],
        linux: { sysctl: { 'net.b': '2', '-net.a': '' }, namespaces: [{ type: '-network' }, { type: 'ipc', path: '/proc/1/ns/ipc' }] },
      }),
      { restrictOomScoreAdj: false, host },
    );
    assert.deepEqual(spec.annotations, { keep: 'k', new: 'n' });
    assert.deepEqual(spec.process!.env, ['PATH=/bin', 'KEEP=1', 'CHANGE=new', 'ADDED=a']);
    assert.deepEqual(
      spec.mounts!.map((m) => [m.destination, m.source]),
      [
        ['/data', '/new'],
        ['/a/b', 'tmpfs'],
      ],
    );
    assert.deepEqual(spec.linux!.sysctl, { 'net.b': '2' });
    assert.deepEqual(spec.linux!.namespaces, [{ type: 'pid' }, { type: 'ipc', path: '/proc/1/ns/ipc' }]);
  });

  it('adds devices with a device cgroup rule, hooks, rlimits (one per type), args and resources', () => {
    const spec = baseSpec();
    spec.process!.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 10, soft: 10 }];
    applyContainerAdjustment(
      spec,
      adjustment({
        args: ['sleep', '1'],
        hooks: { createRuntime: [{ path: '/bin/hook', args: ['hook', 'x'], timeout: { value: 5 } }] },
        rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 512 }],
        linux: {
          devices: [{ path: '/dev/foo', type: 'c', major: 1, minor: 7, fileMode: { value: 0o666 } }],
          resources: { memory: { limit: { value: 64 << 20 } }, cpu: { shares: { value: 512 }, cpus: '0' }, pids: { limit: 100 }, unified: { 'memory.high': '1000000' } },
          oomScoreAdj: { value: -999 },
          cgroupsPath: '/nri/elsewhere',
        },
      }),
      { restrictOomScoreAdj: true, host },
    );
    assert.deepEqual(spec.process!.args, ['sleep', '1']);
    assert.deepEqual(spec.hooks, { createRuntime: [{ path: '/bin/hook', args: ['hook', 'x'], timeout: 5 }] });
    assert.deepEqual(spec.process!.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 512 }]);
    assert.deepEqual(spec.linux!.devices, [{ path: '/dev/foo', type: 'c', major: 1, minor: 7, fileMode: 0o666 }]);
    assert.deepEqual(spec.linux!.resources!.devices, [{ allow: true, type: 'c', major: 1, minor: 7, access: 'rw' }]);
    assert.deepEqual(spec.linux!.resources!.memory, { limit: 64 << 20, swap: 64 << 20 });
    assert.deepEqual(spec.linux!.resources!.cpu, { shares: 512, cpus: '0' });
    assert.deepEqual(spec.linux!.resources!.pids, { limit: 100 });
    assert.deepEqual(spec.linux!.resources!.unified, { 'memory.high': '1000000' });
    assert.equal(spec.linux!.cgroupsPath, '/nri/elsewhere');
    // restrict_oom_score_adj: no lower than cri-ts's own score
    assert.ok(spec.process!.oomScoreAdj! > -999);
  });

  it('refuses what cri-ts cannot do rather than dropping it: CDI devices, block I/O classes, numbers beyond 2^53', () => {
    assert.throws(() => applyContainerAdjustment(baseSpec(), adjustment({ CDIDevices: [{ name: 'vendor.com/gpu=0' }] }), { restrictOomScoreAdj: false, host }), /CDI/);
    assert.throws(() => applyContainerAdjustment(baseSpec(), adjustment({ linux: { resources: { blockioClass: { value: 'slow' } } } }), { restrictOomScoreAdj: false, host }), /block I\/O class "slow"/);
    assert.throws(
      () => applyContainerAdjustment(baseSpec(), adjustment({ rlimits: [{ type: 'RLIMIT_CORE', hard: '18446744073709551615', soft: 0 }] }), { restrictOomScoreAdj: false, host }),
      /RLIMIT_CORE hard 18446744073709551615 is beyond/,
    );
  });

  it('a shared mount makes the rootfs propagation shared', () => {
    const spec = baseSpec();
    applyContainerAdjustment(spec, adjustment({ mounts: [{ destination: '/shared', type: 'bind', source: '/mnt', options: ['rbind', 'rshared'] }] }), { restrictOomScoreAdj: false, host });
    assert.equal(spec.linux!.rootfsPropagation, 'rshared');
  });
});
