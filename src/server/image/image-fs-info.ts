import type { FilesystemUsage } from '../../generated/cri/runtime/v1/FilesystemUsage.js';
import type { ImageFsInfoRequest__Output } from '../../generated/cri/runtime/v1/ImageFsInfoRequest.js';
import type { ImageFsInfoResponse } from '../../generated/cri/runtime/v1/ImageFsInfoResponse.js';
import type { ServerContext } from '../context.js';

/**
 * ImageFsInfo: the snapshotter's filesystem. Image layers and containers'
 * writable layers share it, so it is reported as the image filesystem only,
 * which tells kubelet they are one filesystem (as containerd's CRI does).
 */
export async function imageFsInfo(ctx: ServerContext, _request: ImageFsInfoRequest__Output): Promise<ImageFsInfoResponse> {
  const usage = await ctx.imageFsUsage.current();
  const filesystem: FilesystemUsage = {
    timestamp: usage.timestampNs.toString(),
    fsId: { mountpoint: usage.mountpoint },
    usedBytes: { value: usage.usedBytes },
    inodesUsed: { value: usage.inodesUsed },
  };
  return { imageFilesystems: [filesystem], containerFilesystems: [] };
}
