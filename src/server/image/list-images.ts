import type { ListImagesRequest__Output } from '../../generated/cri/runtime/v1/ListImagesRequest.js';
import type { ListImagesResponse } from '../../generated/cri/runtime/v1/ListImagesResponse.js';
import type { ServerContext } from '../context.js';
import { toCriImage } from './cri-image.js';

export async function listImages(ctx: ServerContext, request: ListImagesRequest__Output): Promise<ListImagesResponse> {
  const wanted = request.filter?.image?.image ?? '';
  if (wanted !== '') {
    const image = await ctx.images.find(wanted);
    return { images: image ? [toCriImage(image)] : [] };
  }
  const images = await ctx.images.list();
  return { images: images.map(toCriImage) };
}
