import { InvalidArgumentError } from '../../errors.js';
import type { StartContainerRequest__Output } from '../../generated/cri/runtime/v1/StartContainerRequest.js';
import type { StartContainerResponse } from '../../generated/cri/runtime/v1/StartContainerResponse.js';
import type { ServerContext } from '../context.js';

export async function startContainer(ctx: ServerContext, request: StartContainerRequest__Output): Promise<StartContainerResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  await ctx.containers.start(request.containerId);
  return {};
}
