import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Mount } from '../../../src/generated/cri/runtime/v1/Mount.js';
import { chainIds } from '../../../src/image/chain-ids.js';
import { criClient, grpcCode } from '../../harness/cri-client.js';
import { crictl } from '../../harness/crictl.js';
import { pushTestImage } from '../../harness/image-push.js';
import { BUSYBOX_IMAGE } from '../../harness/offline-images.js';
import { type PodFixture, startPodFixture } from '../../harness/pod-fixture.js';
import { startTestRegistry, type TestRegistry } from '../../harness/registry.js';

/** Two layers (the shared base and /test-image-tag), so its view is an overlay; busybox has one, so its view is a bind. */
const TAG_IMAGE = '127.0.0.1:5000/k8s-staging-cri-tools/test-image-tag:test';
const VOLUME_PATH = '/mnt/image-volume';

type Cri = ReturnType<typeof criClient>;

interface MountEntry {
  point: string;
  options: string[];
}

async function hostMountsUnder(dir: string): Promise<MountEntry[]> {
  const lines = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n');
  return lines
    .map((line) => line.split(' '))
    .filter((fields) => fields[4]?.startsWith(`${dir}/`))
    .map((fields) => ({ point: fields[4]!, options: fields[5]!.split(',') }));
}

const imageMount = (image: string, extra: Partial<Mount> = {}): Mount => ({ containerPath: VOLUME_PATH, readonly: true, image: { image }, ...extra });

describe('image mounts (Mount.image): an image mounted read-only into a container', () => {
  let fixture: PodFixture;
  let registry: TestRegistry;
  let cri: Cri;
  /** An image of one layer with a directory tree and symlinks for image_sub_path. */
  let linksImage: string;
  let linksChainId: string;
  let names = 0;
  const containersDir = () => join(fixture.stack.dir, 'cri-ts-root', 'containers');

  /** What an image mount could leave behind: host mounts, view snapshots, leases, container records. */
  async function traces(): Promise<{ mounts: string[]; views: string[]; leases: string[]; records: string[] }> {
    const { client } = fixture.stack;
    const views: string[] = [];
    for await (const page of client.listSnapshots({ snapshotter: 'overlayfs' })) views.push(...page.info.map((i) => i.name).filter((n) => n.includes('/image-mount/')));
    const { leases } = await client.leases.List({ filters: [] });
    const { containers } = await client.containers.List({ filters: ['labels."io.cri-ts.kind"==container'] });
    return { mounts: (await hostMountsUnder(containersDir())).map((m) => m.point), views, leases: leases.map((l) => l.id), records: containers.map((c) => c.id) };
  }
  const nothingLeft = { mounts: [], views: [], leases: [], records: [] };

  const create = async (mounts: Mount[], command = ['sleep', '3600']): Promise<string> => {
    const config = { metadata: { name: `im${++names}` }, image: { image: BUSYBOX_IMAGE }, command, linux: {}, mounts };
    return (await cri.runtime.CreateContainer({ podSandboxId: fixture.podId, config })).containerId;
  };
  const exec = async (id: string, cmd: string[]) => {
    const r = await cri.runtime.ExecSync({ containerId: id, cmd, timeout: 10 });
    return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };
  const remove = async (id: string) => {
    await cri.runtime.StopContainer({ containerId: id, timeout: 0 });
    await cri.runtime.RemoveContainer({ containerId: id });
  };
  const imageId = async (image: string) => (await cri.images.ImageStatus({ image: { image } })).image?.id ?? '';

  before(async () => {
    fixture = await startPodFixture('imgmnt', { bridge: 'critsim0', subnet: '10.227.0.0/16' });
    registry = await startTestRegistry(join(fixture.stack.dir, 'registry'));
    const pushed = await pushTestImage(registry.url, 'app/links', 'v1', {
      files: {
        'data/hello.txt': 'hello from the volume image\n',
        'data/sub/deep.txt': 'deep\n',
        inside: { symlink: 'data/sub' },
        escape: { symlink: '../../..' },
        abs: { symlink: '/data' },
      },
    });
    linksImage = pushed.reference;
    linksChainId = chainIds(pushed.diffIds).at(-1)!;
    for (const image of [TAG_IMAGE, linksImage]) assert.equal((await crictl(fixture.stack.criTs.socket, ['pull', image], 60)).code, 0);
    cri = criClient(fixture.stack.criTs.socket);
  });

  after(async () => {
    cri?.close();
    await fixture?.stop();
    await registry?.stop();
  });

  it('reads files, refuses writes and runs binaries from an overlay and a bind view; reports the image IDs; removal leaves nothing', async () => {
    const tagId = await imageId(TAG_IMAGE);
    const id = await create([imageMount(tagId), imageMount(BUSYBOX_IMAGE, { containerPath: '/mnt/busybox' })]);
    await cri.runtime.StartContainer({ containerId: id });

    assert.deepEqual(await exec(id, ['cat', `${VOLUME_PATH}/test-image-tag`]), { code: 0, stdout: 'test-image-tag:test\n', stderr: '' });
    const write = await exec(id, ['touch', `${VOLUME_PATH}/new-file`]);
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /Read-only file system/);
    const ls = await exec(id, [`${VOLUME_PATH}/bin/ls`, VOLUME_PATH]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /test-image-tag/);
    assert.deepEqual(await exec(id, ['/mnt/busybox/bin/sh', '-c', 'echo ran']), { code: 0, stdout: 'ran\n', stderr: '' });
    assert.notEqual((await exec(id, ['touch', '/mnt/busybox/new-file'])).code, 0);

    const hostMounts = await hostMountsUnder(containersDir());
    assert.deepEqual(hostMounts.map((m) => m.point).sort(), [join(containersDir(), id, 'image-mounts', '0'), join(containersDir(), id, 'image-mounts', '1')]);
    for (const m of hostMounts) for (const option of ['ro', 'nosuid', 'nodev']) assert.ok(m.options.includes(option), `${m.point}: ${m.options.join(',')}`);

    const { status } = await cri.runtime.ContainerStatus({ containerId: id, verbose: false });
    const reported = Object.fromEntries(status!.mounts.map((m) => [m.containerPath, m.image?.imageRef]));
    assert.deepEqual(reported[VOLUME_PATH], tagId);
    assert.deepEqual(reported['/mnt/busybox'], await imageId(BUSYBOX_IMAGE));
    assert.equal((await traces()).views.length, 2);

    await remove(id);
    assert.deepEqual(await traces(), nothingLeft);
    await assert.rejects(stat(join(containersDir(), id)), /ENOENT/);
  });

  it('mounts image_sub_path, also through a symlink that stays inside the image, instead of the image root', async () => {
    const id = await create([imageMount(TAG_IMAGE, { imageSubPath: 'etc' }), imageMount(linksImage, { containerPath: '/mnt/inside', imageSubPath: 'inside' })]);
    await cri.runtime.StartContainer({ containerId: id });
    assert.equal((await exec(id, ['ls', `${VOLUME_PATH}/passwd`])).code, 0);
    assert.notEqual((await exec(id, ['ls', `${VOLUME_PATH}/etc/passwd`])).code, 0);
    assert.equal((await exec(id, ['cat', '/mnt/inside/deep.txt'])).stdout, 'deep\n');
    await remove(id);
    assert.deepEqual(await traces(), nothingLeft);
  });

  it('refuses bad image mounts with the field named, leaving nothing behind, also when a view was already mounted', async () => {
    const refused = async (mounts: Mount[], code: string, text: RegExp) =>
      assert.rejects(create(mounts), (err: unknown) => {
        assert.equal(grpcCode(err), code, String(err));
        assert.match(String(err), /ImageVolumeMountFailed: /);
        assert.match(String(err), text);
        return true;
      });
    await refused([imageMount(TAG_IMAGE, { readonly: false })], 'INVALID_ARGUMENT', /mounts\[0\]\.readonly must be true/);
    await refused([imageMount(TAG_IMAGE, { hostPath: '/tmp' })], 'INVALID_ARGUMENT', /mounts\[0\]\.host_path must be empty/);
    await refused([imageMount('127.0.0.1:5000/no/such-image:1')], 'NOT_FOUND', /mounts\[0\]\.image\.image: .*pull it first/);
    await refused([imageMount(TAG_IMAGE, { imageSubPath: '../etc' })], 'INVALID_ARGUMENT', /mounts\[0\]\.image_sub_path/);
    // found out only with the view mounted: each must be undone
    await refused([imageMount(TAG_IMAGE, { imageSubPath: 'not-existing' })], 'INVALID_ARGUMENT', /mounts\[0\]\.image_sub_path "not-existing" does not exist in the image/);
    await refused([imageMount(linksImage, { imageSubPath: 'escape' })], 'INVALID_ARGUMENT', /mounts\[0\]\.image_sub_path "escape" leads out of the image/);
    await refused([imageMount(linksImage, { imageSubPath: 'abs' })], 'INVALID_ARGUMENT', /mounts\[0\]\.image_sub_path "abs": abs .*absolute path \/data/);
    await refused([imageMount(linksImage, { imageSubPath: 'data/hello.txt' })], 'INVALID_ARGUMENT', /not a directory/);
    await refused([imageMount(TAG_IMAGE), imageMount(linksImage, { containerPath: '/mnt/second', imageSubPath: 'escape' })], 'INVALID_ARGUMENT', /mounts\[1\]\.image_sub_path/);
    assert.deepEqual(await traces(), nothingLeft);
    const elsewhere = (await hostMountsUnder(fixture.stack.dir)).filter((m) => !m.point.includes(fixture.podId));
    assert.deepEqual(elsewhere, [], "no mount under the test directory but the pod's own");
  });

  it('keeps a container made before a cri-ts restart working, and mounts its image again at start when the host lost the mount', async () => {
    const kept = await create([imageMount(TAG_IMAGE)]);
    const lost = await create([imageMount(linksImage, { imageSubPath: 'data' })]);
    const lostDir = join(containersDir(), lost, 'image-mounts', '0');
    cri.close();
    await fixture.stack.criTs.stop();
    // as after a reboot: the host's mounts are gone, containerd's records are not
    await promisify(execFile)('umount', [lostDir]);
    await fixture.stack.criTs.start();
    cri = criClient(fixture.stack.criTs.socket);

    await cri.runtime.StartContainer({ containerId: kept });
    assert.equal((await exec(kept, ['cat', `${VOLUME_PATH}/test-image-tag`])).stdout, 'test-image-tag:test\n');
    await cri.runtime.StartContainer({ containerId: lost });
    assert.equal((await exec(lost, ['cat', `${VOLUME_PATH}/hello.txt`])).stdout, 'hello from the volume image\n');
    assert.ok((await hostMountsUnder(containersDir())).some((m) => m.point === lostDir), 'mounted again at StartContainer');
    await remove(kept);
    await remove(lost);
    assert.deepEqual(await traces(), nothingLeft);
  });

  it('removes the image mounts of a creation cut short by a crash when cri-ts starts again', async () => {
    const id = await create([imageMount(TAG_IMAGE)]);
    cri.close();
    await fixture.stack.criTs.stop();
    // a crash between writing the record and preparing its snapshot leaves a record without a rootfs
    await fixture.stack.client.snapshots.Remove({ snapshotter: 'overlayfs', key: id });
    await fixture.stack.criTs.start();
    cri = criClient(fixture.stack.criTs.socket);
    await cri.runtime.ListContainers({});
    assert.deepEqual(await traces(), nothingLeft);
    await assert.rejects(stat(join(containersDir(), id)), /ENOENT/);
  });

  it('RemoveImage of an image in use as a volume removes its names as containerd does; the view keeps the volume working until the container goes', async () => {
    const hasChain = async () => {
      for await (const page of fixture.stack.client.listSnapshots({ snapshotter: 'overlayfs' })) if (page.info.some((i) => i.name === linksChainId)) return true;
      return false;
    };
    const id = await create([imageMount(linksImage, { imageSubPath: 'data' })]);
    await cri.runtime.StartContainer({ containerId: id });
    await cri.images.RemoveImage({ image: { image: linksImage } });
    assert.equal((await cri.images.ImageStatus({ image: { image: linksImage } })).image, null);
    // cri-ts waited for containerd's garbage collection: the record's label kept the view, the view its layers
    assert.equal((await traces()).views.length, 1);
    assert.ok(await hasChain());
    assert.equal((await exec(id, ['cat', `${VOLUME_PATH}/hello.txt`])).stdout, 'hello from the volume image\n');

    await remove(id);
    assert.deepEqual(await traces(), nothingLeft);
    // the next collection (RemoveImage of something else waits for one) takes the image's layers too
    const other = await pushTestImage(registry.url, 'app/other', 'v1');
    assert.equal((await crictl(fixture.stack.criTs.socket, ['pull', other.reference], 60)).code, 0);
    await cri.images.RemoveImage({ image: { image: other.reference } });
    assert.equal(await hasChain(), false, 'nothing keeps the removed image once its last volume is gone');
  });
});
