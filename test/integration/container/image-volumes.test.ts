import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crictl, crictlJson } from '../../harness/crictl.js';
import { pushTestImage } from '../../harness/image-push.js';
import { type PodFixture, startPodFixture } from '../../harness/pod-fixture.js';
import { startTestRegistry, type TestRegistry } from '../../harness/registry.js';

interface Inspect {
  info: { runtimeSpec: { mounts: Array<{ destination: string; source: string; options: string[] }> } };
}

describe("image VOLUMEs get directories of the container's own, filled from the image", () => {
  let fixture: PodFixture;
  let registry: TestRegistry;
  let image: string;

  before(async () => {
    fixture = await startPodFixture('vols', { bridge: 'critsvo0', subnet: '10.218.0.0/16' });
    registry = await startTestRegistry(join(fixture.stack.dir, 'registry'));
    const pushed = await pushTestImage(registry.url, 'app/volumes', 'v1', {
      files: { 'data/seed.txt': 'seeded by the image\n', 'data/sub/deep.txt': 'deep\n', 'owned/': '', 'covered/in-image.txt': 'hidden by a CRI mount\n' },
      owners: { 'data/': { uid: 1000, gid: 2000, mode: 0o750 }, 'data/seed.txt': { uid: 1234, gid: 5678, mode: 0o600 }, 'owned/': { uid: 4321, gid: 4321, mode: 0o1777 } },
      volumes: ['/data', '/owned', '/not-in-image', '/covered'],
      entrypoint: ['/never-started'],
    });
    image = pushed.reference;
    const pull = await crictl(fixture.stack.criTs.socket, ['pull', image], 60);
    assert.equal(pull.code, 0, pull.stderr);
  });

  after(async () => {
    await fixture?.stop();
    await registry?.stop();
  });

  it('copies content, owner and mode into a writable bind mount, leaves a covered path to its CRI mount, and removes the directories with the container', async () => {
    const { stack } = fixture;
    const hostDir = join(stack.dir, 'kubelet-volume');
    const configPath = join(stack.dir, 'volumes-ctr.json');
    await writeFile(configPath, JSON.stringify({ metadata: { name: 'vols' }, image: { image }, mounts: [{ container_path: '/covered/', host_path: hostDir }], linux: {} }));
    const created = await crictl(stack.criTs.socket, ['create', fixture.podId, configPath, fixture.podConfigPath]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    const { info } = await crictlJson<Inspect>(stack.criTs.socket, ['inspect', id]);
    const mountOf = (destination: string) => info.runtimeSpec.mounts.find((m) => m.destination === destination);
    const containerDir = join(stack.dir, 'cri-ts-root', 'containers', id);

    const data = mountOf('/data')!;
    assert.ok(data.source.startsWith(join(containerDir, 'volumes')), data.source);
    assert.deepEqual(data.options, ['rbind', 'rprivate', 'rw']);
    const dataDir = await stat(data.source);
    assert.deepEqual([dataDir.uid, dataDir.gid, dataDir.mode & 0o7777], [1000, 2000, 0o750]);
    assert.equal(await readFile(join(data.source, 'seed.txt'), 'utf8'), 'seeded by the image\n');
    const seed = await stat(join(data.source, 'seed.txt'));
    assert.deepEqual([seed.uid, seed.gid, seed.mode & 0o7777], [1234, 5678, 0o600]);
    assert.equal(await readFile(join(data.source, 'sub', 'deep.txt'), 'utf8'), 'deep\n');

    const owned = await stat(mountOf('/owned')!.source);
    assert.deepEqual([owned.uid, owned.gid, owned.mode & 0o7777], [4321, 4321, 0o1777]);
    assert.deepEqual(await readdir(mountOf('/not-in-image')!.source), []);
    const covered = info.runtimeSpec.mounts.filter((m) => m.destination.startsWith('/covered'));
    assert.deepEqual(covered.map((m) => m.source), [hostDir], 'the CRI mount, not a volume of its own');

    assert.equal((await crictl(stack.criTs.socket, ['rm', id])).code, 0);
    await assert.rejects(stat(containerDir), /ENOENT/);
    const scratch = await readdir(join(stack.dir, 'cri-ts-state', 'scratch')).catch(() => [] as string[]);
    assert.deepEqual(scratch, [], 'no temporary mount of the rootfs is left');
  });
});
