import assert from 'node:assert/strict';
import { chmod, link, lchown, lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriError } from '../../../src/errors.js';
import { shiftOwnership } from '../../../src/records/id-shift.js';

const uidMapping = { containerID: 0, hostID: 100_000, size: 65_536 };
const gidMapping = { containerID: 0, hostID: 200_000, size: 65_536 };

// chown needs root: these run where the integration tests run.
describe("shifting an image copy's owners to a user namespace's host IDs", { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crits-idshift-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shifts every entry once (hard links too), keeps setuid bits, and does not follow symlinks', async () => {
    const root = join(dir, 'ok');
    await mkdir(join(root, 'bin'), { recursive: true });
    await writeFile(join(root, 'bin', 'tool'), 'x');
    await link(join(root, 'bin', 'tool'), join(root, 'bin', 'alias'));
    await writeFile(join(root, 'bin', 'su'), 'x');
    await chmod(join(root, 'bin', 'su'), 0o4755);
    await writeFile(join(root, 'owned'), 'x');
    await lchown(join(root, 'owned'), 1000, 50);
    await symlink('/etc/passwd', join(root, 'link'));
    const outside = await lstat('/etc/passwd');

    assert.equal(await shiftOwnership(root, uidMapping, gidMapping, 'f'), 7);
    const owner = async (path: string) => {
      const s = await lstat(join(root, path));
      return [s.uid, s.gid];
    };
    assert.deepEqual(await owner(''), [100_000, 200_000]);
    assert.deepEqual(await owner('bin/tool'), [100_000, 200_000]);
    assert.deepEqual(await owner('bin/alias'), [100_000, 200_000], 'a hard link is shifted once, not twice');
    assert.deepEqual(await owner('owned'), [101_000, 200_050]);
    assert.deepEqual(await owner('link'), [100_000, 200_000]);
    assert.equal((await lstat(join(root, 'bin', 'su'))).mode & 0o7777, 0o4755);
    const after = await lstat('/etc/passwd');
    assert.deepEqual([after.uid, after.gid], [outside.uid, outside.gid], 'the symlink target is untouched');
  });

  it('refuses an owner outside the mapping, naming the file, and changes nothing', async () => {
    const root = join(dir, 'far');
    await mkdir(root);
    await writeFile(join(root, 'far-away'), 'x');
    await lchown(join(root, 'far-away'), 70_000, 0);
    await assert.rejects(shiftOwnership(root, uidMapping, gidMapping, 'userns.uids'), (err: unknown) => {
      assert.ok(err instanceof CriError && err.kind === 'InvalidArgument');
      assert.match(err.message, /^userns\.uids: the image has \/far-away owned by uid 70000, outside the pod's mapping of 65536 IDs from 0; map more IDs/);
      return true;
    });
    assert.equal((await lstat(root)).uid, 0);
  });
});
