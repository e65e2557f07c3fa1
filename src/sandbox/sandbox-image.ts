import type { CatalogImage } from '../image/image-catalog.js';
import { parseImageReference } from '../image/reference.js';
import { NO_CREDENTIALS } from '../image/registry/registry-client.js';
import type { PodRuntime } from './pod-runtime.js';

/** The pause image, pulled on first use as containerd does; kubelet never pulls it. */
export async function ensureSandboxImage(pods: PodRuntime): Promise<CatalogImage> {
  const name = pods.config.sandboxImage;
  const present = await pods.images.find(name);
  if (present) return present;
  pods.log.info({ image: name }, 'pulling the sandbox image');
  await pods.puller.pull(parseImageReference(name), NO_CREDENTIALS);
  const pulled = await pods.images.find(name);
  if (!pulled) throw new Error(`sandbox image ${name} was pulled but is not in containerd's image store`);
  return pulled;
}
