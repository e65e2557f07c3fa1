import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerdClient } from '../containerd/client.js';
import { GcLabel } from '../containerd/gc-labels.js';
import { CriError, isCriError, NotFoundError } from '../errors.js';
import type { Mount__Output } from '../generated/cri/runtime/v1/Mount.js';
import { isMountPoint, unmountAll } from '../host/mount-table.js';
import { chainIds } from '../image/chain-ids.js';
import type { ImageCatalog } from '../image/image-catalog.js';
import { removeSnapshot, viewSnapshot } from '../records/container-records.js';
import { checkImageSubPath, resolveImageSubPath } from './image-sub-path.js';
import { mountSnapshotReadOnly } from '../records/snapshot-mount.js';

/**
 * A CRI mount of an image (Mount.image, Kubernetes' image volumes) as the
 * container record keeps it: the image it was resolved to and the top of
 * that image's snapshot chain, which a read-only view is made of.
 */
export interface ImageMount {
  /** The mount's index in the config's mounts. */
  index: number;
  /** The image's ID (config digest): ContainerStatus reports it as the mount's image_ref. */
  imageId: string;
  /** The image's top chain ID, the view's parent ('' for an image without layers). */
  parent: string;
}

/** Where the container's image mounts live and what they mount. */
export interface ImageMountSet {
  containerId: string;
  snapshotter: string;
  /** The container's own directory (containerRootDir); each view is mounted under it. */
  rootDir: string;
  mounts: readonly Mount__Output[];
  imageMounts: readonly ImageMount[];
  /** Labels of the view snapshots. */
  snapshotLabels?: Record<string, string>;
}

/**
 * cri-api's errors.ErrImageVolumeMountFailed: kubelet counts a CreateContainer
 * failure whose message starts with it as a failed image volume mount.
 */
const MOUNT_FAILED = 'ImageVolumeMountFailed';

/** The same error, its message led by MOUNT_FAILED. */
function asMountFailure(err: unknown): unknown {
  if (!(err instanceof CriError) || err.message.startsWith(MOUNT_FAILED)) return err;
  return new CriError(err.kind, `${MOUNT_FAILED}: ${err.message}`, { cause: err });
}

export const isImageMount = (mount: Mount__Output): boolean => Boolean(mount.image?.image);

export const imageMountDir = (rootDir: string, index: number): string => join(rootDir, 'image-mounts', String(index));

/** One view per mount, so two mounts of one image (different sub paths) stay independent. */
export const imageMountSnapshotKey = (containerId: string, index: number): string => `${containerId}/image-mount/${index}`;

/**
 * The image mounts of a CreateContainer, checked before anything is made:
 * no host path, read-only (image volumes are read-only by definition), a
 * sub path that stays inside, and an image that has been pulled.
 */
export async function planImageMounts(images: Pick<ImageCatalog, 'find'>, mounts: readonly Mount__Output[]): Promise<ImageMount[]> {
  const planned: ImageMount[] = [];
  try {
    for (const [index, mount] of mounts.entries()) {
      if (!isImageMount(mount)) continue;
      const field = `mounts[${index}]`;
      const text = mount.image!.image;
      if (mount.hostPath) throw new CriError('InvalidArgument', `${field}.host_path must be empty when ${field}.image is set; a mount names either a host path or an image`);
      if (!mount.readonly) throw new CriError('InvalidArgument', `${field}.readonly must be true: image volumes are read-only`);
      checkImageSubPath(mount.imageSubPath, `${field}.image_sub_path`);
      const image = await images.find(text);
      if (!image) throw new NotFoundError(`${field}.image.image: image "${text}" not found; pull it first`);
      planned.push({ index, imageId: image.id, parent: chainIds(image.config.diffIds).at(-1) ?? '' });
    }
  } catch (err) {
    throw asMountFailure(err);
  }
  return planned;
}

/** The host directory each image mount binds into the container: its view, or the sub path in it. */
export function imageMountSources(set: Pick<ImageMountSet, 'rootDir' | 'mounts' | 'imageMounts'>): Map<number, string> {
  return new Map(
    set.imageMounts.map(({ index }) => {
      const subPath = checkImageSubPath(set.mounts[index]?.imageSubPath ?? '', `mounts[${index}].image_sub_path`);
      return [index, join(imageMountDir(set.rootDir, index), subPath)];
    }),
  );
}

/**
 * Labels for the container record: containerd's garbage collector keeps a
 * snapshot a container's label names, so each view lives exactly as long as
 * the record, with no lease to leak if cri-ts stops half-way.
 */
export function imageMountGcLabels(snapshotter: string, containerId: string, imageMounts: readonly ImageMount[]): Record<string, string> {
  return Object.fromEntries(imageMounts.map(({ index }) => [`${GcLabel.snapshotRef(snapshotter)}/image-mount-${index}`, imageMountSnapshotKey(containerId, index)]));
}

/**
 * Mounts each image mount's view at its directory, unless it is mounted
 * already (it survives a cri-ts restart, not a reboot): the view is made,
 * or the one made before reused, mounted read-only, nosuid and nodev, and
 * its sub path proven to stay inside the image. releaseImageMounts undoes it.
 */
export async function mountImageMounts(containerd: ContainerdClient, set: ImageMountSet): Promise<void> {
  try {
    for (const { index, parent } of set.imageMounts) {
      const dir = imageMountDir(set.rootDir, index);
      if (await isMountPoint(dir)) continue;
      const field = `mounts[${index}]`;
      const mounts = await viewSnapshot(containerd, set.snapshotter, imageMountSnapshotKey(set.containerId, index), parent, set.snapshotLabels ?? {}).catch((err: unknown) => {
        if (!isCriError(err, 'NotFound')) throw err;
        throw new NotFoundError(`${field}.image: the layers of image "${set.mounts[index]?.image?.image}" are not unpacked for snapshotter ${set.snapshotter}; pull it again (${err.message})`, { cause: err });
      });
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await mountSnapshotReadOnly(mounts, dir);
      await resolveImageSubPath(dir, set.mounts[index]?.imageSubPath ?? '', `${field}.image_sub_path`);
    }
  } catch (err) {
    throw asMountFailure(err);
  }
}

const ignoreMissing = (err: unknown): void => {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
};

/** Unmounts each image mount, removes its directory and view; what is already gone is fine. */
export async function releaseImageMounts(containerd: ContainerdClient, set: Omit<ImageMountSet, 'mounts' | 'snapshotLabels'>): Promise<void> {
  for (const { index } of set.imageMounts) {
    const dir = imageMountDir(set.rootDir, index);
    await unmountAll(dir);
    // rmdir, never a recursive removal: whatever is still in there is not ours to delete.
    await rmdir(dir).catch(ignoreMissing);
    await removeSnapshot(containerd, set.snapshotter, imageMountSnapshotKey(set.containerId, index));
  }
  await rmdir(join(set.rootDir, 'image-mounts')).catch(ignoreMissing);
}
