import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageMountGcLabels, imageMountSnapshotKey, imageMountSources, planImageMounts } from '../../../src/container/image-mounts.js';
import { isCriError } from '../../../src/errors.js';
import type { Mount__Output } from '../../../src/generated/cri/runtime/v1/Mount.js';
import { chainIds } from '../../../src/image/chain-ids.js';
import type { CatalogImage } from '../../../src/image/image-catalog.js';

const DIFF_IDS = ['sha256:' + '1'.repeat(64), 'sha256:' + '2'.repeat(64)];
const volumeImage = { id: 'sha256:' + 'f'.repeat(64), repoTags: ['example.com/data:1'], config: { diffIds: DIFF_IDS } } as unknown as CatalogImage;
/** The catalog as CreateContainer asks it: by name, ID or digest. */
const catalog = { find: async (text: string) => (text === volumeImage.id || text === 'example.com/data:1' ? volumeImage : undefined) };

const hostMount = { containerPath: '/data', hostPath: '/srv/data', readonly: false, image: null, imageSubPath: '' } as unknown as Mount__Output;
const imageMount = (extra: Record<string, unknown> = {}): Mount__Output =>
  ({ containerPath: '/mnt/image-volume', hostPath: '', readonly: true, image: { image: volumeImage.id }, imageSubPath: '', ...extra }) as unknown as Mount__Output;

/** A typed error of `kind`, led by cri-api's ImageVolumeMountFailed, naming `field`. */
const mountFailure = (kind: string, field: string) => (err: unknown) =>
  isCriError(err, kind as 'InvalidArgument') && err.message.startsWith('ImageVolumeMountFailed: ') && err.message.includes(field);

describe('image mounts of a CreateContainer', () => {
  it('resolve each image to its ID and top chain ID, by index, leaving host path mounts alone', async () => {
    const plans = await planImageMounts(catalog, [hostMount, imageMount(), imageMount({ image: { image: 'example.com/data:1' }, imageSubPath: 'etc' })]);
    const top = chainIds(DIFF_IDS).at(-1);
    assert.deepEqual(plans, [
      { index: 1, imageId: volumeImage.id, parent: top },
      { index: 2, imageId: volumeImage.id, parent: top },
    ]);
    assert.deepEqual(await planImageMounts(catalog, [hostMount]), []);
  });

  it('refuse readonly false, as image volumes are read-only', async () => {
    await assert.rejects(planImageMounts(catalog, [hostMount, imageMount({ readonly: false })]), mountFailure('InvalidArgument', 'mounts[1].readonly'));
  });

  it('refuse a host path beside the image', async () => {
    await assert.rejects(planImageMounts(catalog, [imageMount({ hostPath: '/srv' })]), mountFailure('InvalidArgument', 'mounts[0].host_path'));
  });

  it('refuse a sub path that is absolute or climbs out', async () => {
    await assert.rejects(planImageMounts(catalog, [imageMount({ imageSubPath: '/etc' })]), mountFailure('InvalidArgument', 'mounts[0].image_sub_path'));
    await assert.rejects(planImageMounts(catalog, [imageMount({ imageSubPath: 'etc/../..' })]), mountFailure('InvalidArgument', 'mounts[0].image_sub_path'));
  });

  it('answer NotFound for an image not pulled, telling to pull it', async () => {
    await assert.rejects(
      planImageMounts(catalog, [imageMount({ image: { image: 'example.com/missing:1' } })]),
      (err: unknown) => mountFailure('NotFound', 'mounts[0].image.image')(err) && /pull it first/.test((err as Error).message),
    );
  });

  it('bind the view of each, or its sub path, from under the container directory', () => {
    const mounts = [hostMount, imageMount(), imageMount({ imageSubPath: './etc/' })];
    const plans = [
      { index: 1, imageId: volumeImage.id, parent: 'p' },
      { index: 2, imageId: volumeImage.id, parent: 'p' },
    ];
    assert.deepEqual(
      imageMountSources({ rootDir: '/root/containers/c1', mounts, imageMounts: plans }),
      new Map([
        [1, '/root/containers/c1/image-mounts/1'],
        [2, '/root/containers/c1/image-mounts/2/etc'],
      ]),
    );
  });

  it("keep each view alive through a GC label on the container record", () => {
    assert.deepEqual(imageMountGcLabels('overlayfs', 'c1', [{ index: 3, imageId: volumeImage.id, parent: 'p' }]), {
      'containerd.io/gc.ref.snapshot.overlayfs/image-mount-3': imageMountSnapshotKey('c1', 3),
    });
  });
});
