import { imageFsInfo } from './image/image-fs-info.js';
import { imageStatus } from './image/image-status.js';
import { listImages } from './image/list-images.js';
import { pullImage } from './image/pull-image.js';
import { removeImage } from './image/remove-image.js';
import type { RpcTable } from './register-service.js';

/** ImageService methods cri-ts handles; the rest answer UNIMPLEMENTED. */
export const imageServiceRpcs: RpcTable = {
  unary: {
    PullImage: pullImage,
    ListImages: listImages,
    ImageStatus: imageStatus,
    RemoveImage: removeImage,
    ImageFsInfo: imageFsInfo,
  },
};
