import type { RemoveImageRequest__Output } from '../../generated/cri/runtime/v1/RemoveImageRequest.js';
import type { RemoveImageResponse } from '../../generated/cri/runtime/v1/RemoveImageResponse.js';
import { InvalidArgumentError } from '../../errors.js';
import { formatImageReference, parseImageReference } from '../../image/reference.js';
import type { ServerContext } from '../context.js';

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
 * An image that is not there is already removed: success.
 */
export async function removeImage(ctx: ServerContext, request: RemoveImageRequest__Output): Promise<RemoveImageResponse> {
  const text = request.image?.image ?? '';
  if (text === '') throw new InvalidArgumentError('image.image is empty; give an image ID, name:tag or name@digest');
  const image = await ctx.images.find(text);
  if (!image) return {};
  const log = ctx.log.child({ imageId: image.id });
  const tag = tagNameOf(text);
  if (tag && image.repoTags.includes(tag) && image.repoTags.length > 1) {
    await ctx.images.removeRecords([tag]);
    log.info({ tag }, 'image tag removed');
    return {};
  }
  await ctx.images.removeRecords(image.recordNames);
  log.info({ names: image.recordNames }, 'image removed');
  return {};
}
