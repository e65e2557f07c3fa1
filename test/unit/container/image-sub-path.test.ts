import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkImageSubPath, resolveImageSubPath } from '../../../src/container/image-sub-path.js';
import { isCriError } from '../../../src/errors.js';

const FIELD = 'mounts[2].image_sub_path';

/** An InvalidArgument naming the field, whose message matches `text`. */
const invalid = (text: RegExp) => (err: unknown) => isCriError(err, 'InvalidArgument') && err.message.includes(FIELD) && text.test(err.message);

describe('image_sub_path, before the image is mounted', () => {
  it('is cleaned of empty and "." parts; "" and "." name the root', () => {
    assert.equal(checkImageSubPath('etc', FIELD), 'etc');
    assert.equal(checkImageSubPath('./usr//share/', FIELD), 'usr/share');
    assert.equal(checkImageSubPath('', FIELD), '');
    assert.equal(checkImageSubPath('.', FIELD), '');
    assert.equal(checkImageSubPath('a/../b', FIELD), 'a/../b');
  });

  it('is refused when absolute, or when its ".." climbs above the root', () => {
    assert.throws(() => checkImageSubPath('/etc', FIELD), invalid(/relative/));
    assert.throws(() => checkImageSubPath('..', FIELD), invalid(/climbs out/));
    assert.throws(() => checkImageSubPath('etc/../../host', FIELD), invalid(/climbs out/));
    assert.throws(() => checkImageSubPath('etc\0', FIELD), invalid(/NUL/));
  });
});

describe('image_sub_path, followed inside the mounted image', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cri-ts-subpath-'));
    await mkdir(join(root, 'etc', 'ssl'), { recursive: true });
    await mkdir(join(root, 'usr', 'share', 'data'), { recursive: true });
    await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    await symlink('usr/share', join(root, 'share')); // relative, inside
    await symlink('../usr/share/data', join(root, 'etc', 'data')); // relative, climbs but stays inside
    await symlink('../../..', join(root, 'etc', 'out')); // relative, climbs out
    await symlink('/etc', join(root, 'abs')); // absolute: the host would resolve it against its own root
    await symlink('passwd', join(root, 'etc', 'file-link'));
    await symlink('loop', join(root, 'loop'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('resolves a directory, and relative symlinks that stay inside', async () => {
    assert.equal(await resolveImageSubPath(root, 'etc', FIELD), 'etc');
    assert.equal(await resolveImageSubPath(root, '', FIELD), '');
    assert.equal(await resolveImageSubPath(root, 'share/data', FIELD), 'usr/share/data');
    assert.equal(await resolveImageSubPath(root, 'etc/data', FIELD), 'usr/share/data');
    // ".." after a symlink leaves the link's target, as the kernel does
    assert.equal(await resolveImageSubPath(root, 'share/../share/data/..', FIELD), 'usr/share');
  });

  it('refuses a path the image lacks', async () => {
    await assert.rejects(resolveImageSubPath(root, 'not-existing', FIELD), invalid(/does not exist in the image/));
    await assert.rejects(resolveImageSubPath(root, 'etc/passwd/x', FIELD), invalid(/not a directory/));
  });

  it('refuses a file, directly or through a link: image volumes mount directories', async () => {
    await assert.rejects(resolveImageSubPath(root, 'etc/passwd', FIELD), invalid(/not a directory/));
    await assert.rejects(resolveImageSubPath(root, 'etc/file-link', FIELD), invalid(/not a directory/));
  });

  it('refuses symlinks that lead out of the image, absolute ones, and loops', async () => {
    await assert.rejects(resolveImageSubPath(root, 'etc/out', FIELD), invalid(/leads out of the image/));
    await assert.rejects(resolveImageSubPath(root, 'etc/out/tmp', FIELD), invalid(/leads out of the image/));
    await assert.rejects(resolveImageSubPath(root, 'abs', FIELD), invalid(/absolute path \/etc/));
    await assert.rejects(resolveImageSubPath(root, 'loop', FIELD), invalid(/more than 40 symlinks/));
  });
});
