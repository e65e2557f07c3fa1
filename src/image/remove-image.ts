import type { Logger } from '../log.js';
import type { ImageCatalog } from './image-catalog.js';
import { formatImageReference, parseImageReference } from './reference.js';

function tagNameOf(text: string): string | undefined {
  try {
    const ref = parseImageReference(text);
    return ref.digest ? undefined : formatImageReference(ref);
  } catch {
    return undefined;
  }
}

/**
 * RemoveImage: by ID, everything goes; by a tag the image shares with other
 * tags, only that tag goes (as `docker rmi` untags). Removing the last name
 * removes the image, and containerd collects its content and snapshots.
 * An image that is not there is already removed.
 */
export async function removeImage(catalog: ImageCatalog, text: string, log: Logger): Promise<void> {
  const image = await catalog.find(text);
  if (!image) return;
  const tag = tagNameOf(text);
  if (tag && image.repoTags.includes(tag) && image.repoTags.length > 1) {
    await catalog.removeRecords([tag]);
    log.info({ imageId: image.id, tag }, 'image tag removed');
    return;
  }
  await catalog.removeRecords(image.recordNames);
  log.info({ imageId: image.id, names: image.recordNames }, 'image removed');
}
