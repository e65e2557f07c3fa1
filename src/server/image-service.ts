import { imageFsInfo } from './image/image-fs-info.js';
import type { RpcTable } from './register-service.js';

/** ImageService methods cri-ts handles; the rest answer UNIMPLEMENTED. */
export const imageServiceRpcs: RpcTable = {
  unary: {
    ImageFsInfo: imageFsInfo,
  },
};
