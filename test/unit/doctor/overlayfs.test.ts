import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configFromToml } from '../../../src/config/config.js';
import { checkOverlayfs } from '../../../src/doctor/overlayfs.js';
import { scratchDir, writeTree } from './scratch.js';

const containerd = configFromToml({}).containerd;
const isRoot = process.getuid?.() === 0;

async function filesystems(withOverlay: boolean): Promise<string> {
  const dir = await scratchDir('fs');
  await writeTree(dir, { filesystems: `nodev\tproc\n\text4\n${withOverlay ? 'nodev\toverlay\n' : ''}` });
  return join(dir, 'filesystems');
}

describe('doctor: overlayfs', () => {
  it('is not checked when no snapshotter is overlayfs', async () => {
    const result = await checkOverlayfs({ ...containerd, snapshotter: 'native' }, { filesystemsFile: '/nonexistent', isRoot, testDir: '/nonexistent' });
    assert.equal(result.status, 'ok');
    assert.match(result.detail, /not used \(snapshotter native\)/);
  });

  it('fails when the kernel does not list overlay', async () => {
    const result = await checkOverlayfs(containerd, { filesystemsFile: await filesystems(false), isRoot, testDir: await scratchDir('ov') });
    assert.equal(result.status, 'fail');
    assert.match(result.fix ?? '', /modprobe overlay/);
  });

  it('warns that the test mount needs root when not root', async () => {
    assert.equal((await checkOverlayfs(containerd, { filesystemsFile: await filesystems(true), isRoot: false, testDir: '/nonexistent' })).status, 'warn');
  });

  it('mounts a real overlay as root, and fails with mount\'s words when mounting fails', { skip: !isRoot && 'needs root' }, async () => {
    const testDir = await scratchDir('ov-mount');
    const works = await checkOverlayfs(containerd, { filesystemsFile: await filesystems(true), isRoot: true, testDir });
    assert.equal(works.status, 'ok', works.detail);
    const failing = await checkOverlayfs(containerd, { filesystemsFile: await filesystems(true), isRoot: true, testDir, mountProgram: 'false' });
    assert.equal(failing.status, 'fail');
    assert.match(failing.detail, /a test overlay mount in .* failed: false -t overlay .* failed with exit code 1/);
    assert.deepEqual(await readdir(testDir), [], 'the scratch directories are removed');
  });
});
