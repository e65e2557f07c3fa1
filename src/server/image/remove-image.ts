import type { RemoveImageRequest__Output } from '../../generated/cri/runtime/v1/RemoveImageRequest.js';
import type { RemoveImageResponse } from '../../generated/cri/runtime/v1/RemoveImageResponse.js';
import { InvalidArgumentError } from '../../errors.js';
import { removeImage as remove } from '../../image/remove-image.js';
import type { ServerContext } from '../context.js';

/** Idempotent: an image that is not there is already removed (success). */
export async function removeImage(ctx: ServerContext, request: RemoveImageRequest__Output): Promise<RemoveImageResponse> {
  const text = request.image?.image ?? '';
  if (text === '') throw new InvalidArgumentError('image.image is empty; give an image ID, name:tag or name@digest');
  await remove(ctx.images, text, ctx.log);
  return {};
}
