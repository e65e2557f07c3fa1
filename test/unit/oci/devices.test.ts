import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { defaultSpec } from '../../../src/oci/default-spec.js';
import { deviceFromPath, devicesUnder, hostDevices, splitDeviceNumber, withDevices } from '../../../src/oci/devices.js';
import { makeFakeDev } from './fake-dev.js';

function invalid(pattern: RegExp) {
  return (err: unknown): boolean => err instanceof InvalidArgumentError && pattern.test(err.message);
}

describe('device numbers', () => {
  it('splits a dev_t as glibc does', () => {
    const makedev = (major: bigint, minor: bigint): bigint =>
      ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
    assert.deepEqual(splitDeviceNumber(makedev(1n, 3n)), { major: 1, minor: 3 });
    assert.deepEqual(splitDeviceNumber(makedev(259n, 65536n)), { major: 259, minor: 65536 });
    assert.deepEqual(splitDeviceNumber(makedev(4096n, 1048575n)), { major: 4096, minor: 1048575 });
  });
});

describe('host devices', () => {
  it('finds /dev/null on this node and nothing under /dev/pts', async () => {
    const devices = await hostDevices();
    const nul = devices.find((d) => d.path === '/dev/null');
    assert.deepEqual({ type: nul?.type, major: nul?.major, minor: nul?.minor }, { type: 'c', major: 1, minor: 3 });
    assert.ok(devices.every((d) => !d.path.startsWith('/dev/pts/') && d.path !== '/dev/console'));
  });
});

describe('withDevices', () => {
  let dir: string;
  let dev: string;
  let canMknod = false;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-devices-'));
    dev = join(dir, 'dev');
    canMknod = await makeFakeDev(dev);
    if (canMknod) await symlink(join(dev, 'loop0'), join(dir, 'disk-link'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('walks a /dev-like tree as containerd does', async (t) => {
    if (!canMknod) return t.skip('cannot mknod here');
    const found = await devicesUnder(dev, '/dev');
    assert.deepEqual(
      found.map((d) => `${d.path} ${d.type} ${d.major}:${d.minor}`),
      ['/dev/loop0 b 7:0', '/dev/net/tun c 10:200', '/dev/null c 1:3'],
    );
    assert.equal(found.find((d) => d.path === '/dev/null')?.fileMode, 0o666);
    assert.equal((await hostDevices(dev)).length, 3);
  });

  it('adds a device node with its numbers, mode and owner, and allows it in the device cgroup', async (t) => {
    if (!canMknod) return t.skip('cannot mknod here');
    const spec = defaultSpec();
    await withDevices(spec, [{ containerPath: '/dev/xnull', hostPath: join(dev, 'null'), permissions: 'rw' }]);
    assert.deepEqual(spec.linux?.devices, [{ type: 'c', path: '/dev/xnull', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }]);
    assert.deepEqual(spec.linux?.resources?.devices, [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    ]);
  });

  it('defaults the permissions to rwm and follows symlinks', async (t) => {
    if (!canMknod) return t.skip('cannot mknod here');
    const spec = defaultSpec();
    await withDevices(spec, [{ containerPath: '/dev/disk', hostPath: join(dir, 'disk-link'), permissions: '' }]);
    assert.equal(spec.linux?.devices?.[0]?.type, 'b');
    assert.equal(spec.linux?.devices?.[0]?.path, '/dev/disk');
    assert.equal(spec.linux?.resources?.devices?.at(-1)?.access, 'rwm');
  });

  it('adds every device under a directory', async (t) => {
    if (!canMknod) return t.skip('cannot mknod here');
    const spec = defaultSpec();
    await withDevices(spec, [{ containerPath: '/dev/host', hostPath: dev, permissions: 'r' }]);
    assert.deepEqual(spec.linux?.devices?.map((d) => d.path), ['/dev/host/loop0', '/dev/host/net/tun', '/dev/host/null']);
    assert.equal(spec.linux?.resources?.devices?.length, 4);
  });

  it('replaces a device already at the same container path', async (t) => {
    if (!canMknod) return t.skip('cannot mknod here');
    const spec = defaultSpec();
    await withDevices(spec, [
      { containerPath: '/dev/x', hostPath: join(dev, 'null'), permissions: 'rwm' },
      { containerPath: '/dev/x', hostPath: join(dev, 'loop0'), permissions: 'rwm' },
    ]);
    assert.equal(spec.linux?.devices?.length, 1);
    assert.equal(spec.linux?.devices?.[0]?.type, 'b');
  });

  it('refuses a missing host path, naming it', async () => {
    const missing = join(tmpdir(), 'cri-ts-no-such-device');
    await assert.rejects(
      withDevices(defaultSpec(), [{ containerPath: '/dev/x', hostPath: missing, permissions: 'rwm' }]),
      invalid(new RegExp(`devices\\[0\\]\\.host_path "${missing}" does not exist`)),
    );
  });

  it('refuses what is not a device, and bad paths or permissions', async () => {
    const file = process.execPath;
    await assert.rejects(withDevices(defaultSpec(), [{ containerPath: '/dev/x', hostPath: file, permissions: '' }]), invalid(/is not a character or block device/));
    await assert.rejects(withDevices(defaultSpec(), [{ containerPath: '/dev/x', hostPath: 'null', permissions: '' }]), invalid(/host_path "null" must be an absolute path/));
    await assert.rejects(withDevices(defaultSpec(), [{ containerPath: 'x', hostPath: '/dev/null', permissions: '' }]), invalid(/container_path "x"/));
    await assert.rejects(withDevices(defaultSpec(), [{ containerPath: '/dev/x', hostPath: '/dev/null', permissions: 'rwx' }]), invalid(/permissions "rwx"/));
    await assert.rejects(withDevices(defaultSpec(), [{ containerPath: '/dev/x', hostPath: '/dev/null', permissions: 'rr' }]), invalid(/permissions "rr"/));
  });

  it('reads a single node without following symlinks', async () => {
    assert.equal((await deviceFromPath('/dev/null'))?.path, '/dev/null');
    assert.equal(await deviceFromPath(process.execPath), undefined);
  });
});
