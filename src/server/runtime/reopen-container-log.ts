import { InvalidArgumentError } from '../../errors.js';
import type { ReopenContainerLogRequest__Output } from '../../generated/cri/runtime/v1/ReopenContainerLogRequest.js';
import type { ReopenContainerLogResponse } from '../../generated/cri/runtime/v1/ReopenContainerLogResponse.js';
import type { ServerContext } from '../context.js';

/** After kubelet rotated a running container's log: write on into a fresh file at the same path. */
export async function reopenContainerLog(ctx: ServerContext, request: ReopenContainerLogRequest__Output): Promise<ReopenContainerLogResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  await ctx.containers.reopenLog(request.containerId);
  return {};
}
