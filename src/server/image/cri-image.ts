import type { Image } from '../../generated/cri/runtime/v1/Image.js';
import type { CatalogImage } from '../../image/image-catalog.js';
import { imageUser } from '../../image/image-config.js';

/** A catalog image as the CRI Image message. */
export function toCriImage(image: CatalogImage): Image {
  const user = imageUser(image.config.user);
  return {
    id: image.id,
    repoTags: image.repoTags,
    repoDigests: image.repoDigests,
    size: image.size,
    ...(user.uid !== undefined ? { uid: { value: user.uid } } : {}),
    username: user.username ?? '',
    spec: { image: image.id, annotations: {} },
    pinned: image.pinned,
  };
}
