import type { ContainerdClient } from '../containerd/client.js';
import { ignoreNotFound, isCriError } from '../errors.js';
import type { RootDescriptor } from './pull/registry-source.js';

/** The labels containerd's CRI puts on image records; cri-ts uses the same so tools agree. */
export const ImageLabel = {
  managed: 'io.cri-containerd.image',
  managedValue: 'managed',
  pinned: 'io.cri-containerd.pinned',
  pinnedValue: 'pinned',
} as const;

/** Creates the image record `name`, or points an existing one at `target`. */
export async function upsertImageRecord(containerd: ContainerdClient, name: string, target: RootDescriptor, labels: Record<string, string>): Promise<void> {
  const image = { name, labels, target: { mediaType: target.mediaType, digest: target.digest, size: target.size } };
  try {
    await containerd.images.Create({ image });
  } catch (err) {
    if (!isCriError(err, 'AlreadyExists')) throw err;
    await containerd.images.Update({ image });
  }
}

/** Deletes an image record; an absent one is fine. `sync` waits for garbage collection. */
export async function deleteImageRecord(containerd: ContainerdClient, name: string, sync: boolean): Promise<void> {
  try {
    await containerd.images.Delete({ name, sync });
  } catch (err) {
    ignoreNotFound(err);
  }
}
