import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FilesystemInfo, mountSourceOf } from '../../../src/stats/filesystem-info.js';

describe('the filesystem under a path', () => {
  const MOUNTINFO = [
    '22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
    '30 22 253:2 / /var/lib rw,relatime shared:2 - xfs /dev/vdb rw',
    '31 30 0:40 / /var/lib/containerd/tmp\\040mounts rw - tmpfs tmpfs rw',
    '32 30 253:3 / /var/lib rw,relatime shared:3 - xfs /dev/vdc rw',
    '',
  ].join('\n');

  it('takes the source of the deepest mount above it, the later one where mounts stack', () => {
    assert.equal(mountSourceOf(MOUNTINFO, '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs'), '/dev/vdc');
    assert.equal(mountSourceOf(MOUNTINFO, '/var/lib/containerd/tmp mounts/x'), 'tmpfs');
    assert.equal(mountSourceOf(MOUNTINFO, '/var/library'), '/dev/vda1');
    assert.equal(mountSourceOf(MOUNTINFO, '/'), '/dev/vda1');
    assert.equal(mountSourceOf('', '/x'), undefined);
  });

  it('gives capacity and inodes of a real filesystem with its device, nothing for no path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cri-ts-fsinfo-'));
    try {
      await writeFile(join(dir, 'mountinfo'), `22 1 253:1 / / rw - ext4 /dev/root rw\n`);
      const info = new FilesystemInfo(join(dir, 'mountinfo'));
      const figures = await info.of(dir);
      assert.ok(figures);
      assert.equal(figures.device, '/dev/root');
      assert.ok(figures.capacityBytes > 0n && figures.inodesFree <= figures.inodes);
      assert.equal(await info.of(''), undefined);
      assert.equal(await info.of(join(dir, 'gone')), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
