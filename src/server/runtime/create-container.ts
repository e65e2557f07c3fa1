import { createContainer as create } from '../../container/create-container.js';
import { InvalidArgumentError } from '../../errors.js';
import type { CreateContainerRequest__Output } from '../../generated/cri/runtime/v1/CreateContainerRequest.js';
import type { CreateContainerResponse } from '../../generated/cri/runtime/v1/CreateContainerResponse.js';
import type { ServerContext } from '../context.js';

export async function createContainer(ctx: ServerContext, request: CreateContainerRequest__Output): Promise<CreateContainerResponse> {
  await ctx.recovered;
  if (request.podSandboxId === '') throw new InvalidArgumentError('pod_sandbox_id is empty');
  if (!request.config) throw new InvalidArgumentError('config is missing; CreateContainer needs the container config');
  // Not under the pod's lock: kubelet creates a pod's containers in parallel, and
  // create checks the pod is ready itself (as containerd's CRI does).
  const sandboxId = ctx.pods.store.get(request.podSandboxId).id;
  return { containerId: await create(ctx.containers, sandboxId, request.config!) };
}
