import { InvalidArgumentError } from '../../errors.js';
import type { RemoveContainerRequest__Output } from '../../generated/cri/runtime/v1/RemoveContainerRequest.js';
import type { RemoveContainerResponse } from '../../generated/cri/runtime/v1/RemoveContainerResponse.js';
import type { ServerContext } from '../context.js';

/** Idempotent: a container that is not there is already removed. */
export async function removeContainer(ctx: ServerContext, request: RemoveContainerRequest__Output): Promise<RemoveContainerResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  await ctx.containers.remove(request.containerId);
  return {};
}
