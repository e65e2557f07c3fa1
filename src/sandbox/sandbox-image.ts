import type { CatalogImage } from '../image/image-catalog.js';
import { parseImageReference } from '../image/reference.js';
import { NO_CREDENTIALS } from '../image/registry/registry-client.js';
import type { PodContext } from './pod-context.js';

/** The pause image, pulled on first use as containerd does; kubelet never pulls it. */
export async function ensureSandboxImage(ctx: PodContext): Promise<CatalogImage> {
  const name = ctx.config.sandboxImage;
  const present = await ctx.images.find(name);
  if (present) return present;
  ctx.log.info({ image: name }, 'pulling the sandbox image');
  await ctx.puller.pull(parseImageReference(name), NO_CREDENTIALS);
  const pulled = await ctx.images.find(name);
  if (!pulled) throw new Error(`sandbox image ${name} was pulled but is not in containerd's image store`);
  return pulled;
}
