import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LINUX_CAPABILITIES } from '../../../src/oci/capabilities.js';
import { defaultSpec } from '../../../src/oci/default-spec.js';
import { withPrivileged } from '../../../src/oci/privileged.js';
import { makeFakeDev } from './fake-dev.js';

describe('withPrivileged', () => {
  let dir: string;
  let dev: string;
  let canMknod = false;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-privileged-'));
    dev = join(dir, 'dev');
    canMknod = await makeFakeDev(dev);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('lifts the confinement of the default spec', async (t) => {
    if (!canMknod) return t.skip('cannot mknod here');
    const spec = defaultSpec();
    spec.process!.apparmorProfile = 'cri-containerd.apparmor.d';
    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO' };
    spec.linux!.devices = [{ type: 'c', path: '/dev/null', major: 1, minor: 7 }];
    const available = LINUX_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE');
    await withPrivileged(spec, { devRoot: dev, availableCapabilities: available });

    assert.deepEqual(spec.process!.capabilities, { bounding: available, effective: available, permitted: available });
    assert.equal(spec.linux!.maskedPaths, undefined);
    assert.equal(spec.linux!.readonlyPaths, undefined);
    assert.equal(spec.linux!.seccomp, undefined);
    assert.equal(spec.process!.apparmorProfile, undefined);
    const sys = spec.mounts!.find((m) => m.destination === '/sys');
    const cgroup = spec.mounts!.find((m) => m.destination === '/sys/fs/cgroup');
    assert.ok(sys?.options?.includes('rw') && !sys.options.includes('ro'));
    assert.ok(cgroup?.options?.includes('rw') && !cgroup.options.includes('ro'));
    // The device already there stays; the host's others are added.
    assert.deepEqual(
      spec.linux!.devices!.map((d) => `${d.path} ${d.major}:${d.minor}`),
      ['/dev/null 1:7', '/dev/loop0 7:0', '/dev/net/tun 10:200'],
    );
    assert.deepEqual(spec.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
  });

  it('uses the real /dev by default', async () => {
    const spec = defaultSpec();
    await withPrivileged(spec, { availableCapabilities: ['CAP_CHOWN'] });
    assert.ok(spec.linux!.devices!.some((d) => d.path === '/dev/null'));
    assert.deepEqual(spec.process!.capabilities!.bounding, ['CAP_CHOWN']);
  });
});
