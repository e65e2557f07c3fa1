import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CgroupLayout } from '../../../src/host/cgroup-layout.js';
import { removeLeftoverCgroup } from '../../../src/host/cgroup-removal.js';

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

describe('removeLeftoverCgroup', async () => {
  const root = await mkdtemp(join(tmpdir(), 'cgroup-removal-'));
  after(() => rm(root, { recursive: true, force: true }));

  it('removes the empty cgroup named after its owner in every v1 hierarchy, named ones and a hybrid unified one included', async () => {
    const mounts = new Map([
      ['memory', { mountPoint: join(root, 'memory'), root: '/' }],
      ['cpu', { mountPoint: join(root, 'cpu,cpuacct'), root: '/' }],
      ['cpuacct', { mountPoint: join(root, 'cpu,cpuacct'), root: '/' }],
      ['name=systemd', { mountPoint: join(root, 'systemd'), root: '/' }],
    ]);
    const dirs = ['memory', 'cpu,cpuacct', 'systemd', 'unified'].map((h) => join(root, h, 'pods', 'c1'));
    for (const dir of dirs) await mkdir(dir, { recursive: true });
    await removeLeftoverCgroup('/pods/c1', 'c1', CgroupLayout.v1(mounts, { mountPoint: join(root, 'unified'), root: '/' }));
    for (const dir of dirs) assert.equal(await exists(dir), false, dir);
    assert.equal(await exists(join(root, 'memory', 'pods')), true, 'the parent stays');
  });

  it('leaves a cgroup that is not empty, one named otherwise, a systemd scope and an absent one', async () => {
    const layout = CgroupLayout.v2(join(root, 'unified'));
    const busy = join(root, 'unified', 'pods', 'busy');
    await mkdir(join(busy, 'child'), { recursive: true });
    await removeLeftoverCgroup('/pods/busy', 'busy', layout);
    assert.equal(await exists(busy), true);

    const shared = join(root, 'unified', 'pods', 'shared');
    await mkdir(shared, { recursive: true });
    await removeLeftoverCgroup('/pods/shared', 'c2', layout);
    assert.equal(await exists(shared), true, 'a cgroup an NRI plugin moved the container into is not its own');

    await removeLeftoverCgroup('kubepods.slice:cri-ts:c3', 'c3', layout);
    await removeLeftoverCgroup('/pods/gone', 'gone', layout);
    await removeLeftoverCgroup('', 'c4', layout);
  });

  it('removes the empty cgroup of a v2 hierarchy', async () => {
    const layout = CgroupLayout.v2(join(root, 'v2'));
    const dir = join(root, 'v2', 'k8s.io', 'c5');
    await mkdir(dir, { recursive: true });
    await writeFile(join(root, 'v2', 'k8s.io', 'marker'), '');
    await removeLeftoverCgroup('/k8s.io/c5', 'c5', layout);
    assert.equal(await exists(dir), false);
  });
});
