import { InvalidArgumentError } from '../../errors.js';
import type { UpdateContainerResourcesRequest__Output } from '../../generated/cri/runtime/v1/UpdateContainerResourcesRequest.js';
import type { UpdateContainerResourcesResponse } from '../../generated/cri/runtime/v1/UpdateContainerResourcesResponse.js';
import type { ServerContext } from '../context.js';

export async function updateContainerResources(ctx: ServerContext, request: UpdateContainerResourcesRequest__Output): Promise<UpdateContainerResourcesResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  if (!request.linux) throw new InvalidArgumentError('linux is missing; give the Linux resources to apply');
  await ctx.containers.updateResources(request.containerId, request.linux);
  return {};
}
