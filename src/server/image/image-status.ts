import type { ImageStatusRequest__Output } from '../../generated/cri/runtime/v1/ImageStatusRequest.js';
import type { ImageStatusResponse } from '../../generated/cri/runtime/v1/ImageStatusResponse.js';
import { InvalidArgumentError } from '../../errors.js';
import { chainIds } from '../../image/chain-ids.js';
import type { ServerContext } from '../context.js';
import { toCriImage } from './cri-image.js';

/** ImageStatus: an absent image is not an error, the reply just carries none (CRI's rule). */
export async function imageStatus(ctx: ServerContext, request: ImageStatusRequest__Output): Promise<ImageStatusResponse> {
  const text = request.image?.image ?? '';
  if (text === '') throw new InvalidArgumentError('image.image is empty; give an image ID, name:tag or name@digest');
  const image = await ctx.images.find(text);
  if (!image) return { image: null, info: {} };
  const info: Record<string, string> = {};
  if (request.verbose) {
    info.info = JSON.stringify({ id: image.id, chainID: chainIds(image.config.diffIds).at(-1) ?? '', target: image.target, imageSpec: image.config.raw });
  }
  return { image: toCriImage(image), info };
}
