import { InvalidArgumentError } from '../../errors.js';
import type { UpdatePodSandboxResourcesRequest__Output } from '../../generated/cri/runtime/v1/UpdatePodSandboxResourcesRequest.js';
import type { UpdatePodSandboxResourcesResponse } from '../../generated/cri/runtime/v1/UpdatePodSandboxResourcesResponse.js';
import type { ServerContext } from '../context.js';

export async function updatePodSandboxResources(ctx: ServerContext, request: UpdatePodSandboxResourcesRequest__Output): Promise<UpdatePodSandboxResourcesResponse> {
  await ctx.recovered;
  if (request.podSandboxId === '') throw new InvalidArgumentError('pod_sandbox_id is empty');
  await ctx.pods.updateResources(request.podSandboxId, request.overhead, request.resources);
  return {};
}
