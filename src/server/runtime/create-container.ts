import { InvalidArgumentError } from '../../errors.js';
import type { CreateContainerRequest__Output } from '../../generated/cri/runtime/v1/CreateContainerRequest.js';
import type { CreateContainerResponse } from '../../generated/cri/runtime/v1/CreateContainerResponse.js';
import type { ServerContext } from '../context.js';
import { checkContainerConfig } from '../validation/container-config.js';
import { checkPodSandboxConfig } from '../validation/pod-config.js';

export async function createContainer(ctx: ServerContext, request: CreateContainerRequest__Output): Promise<CreateContainerResponse> {
  await ctx.recovered;
  if (request.podSandboxId === '') throw new InvalidArgumentError('pod_sandbox_id is empty');
  if (!request.config) throw new InvalidArgumentError('config is missing; CreateContainer needs the container config');
  checkContainerConfig(request.config);
  if (request.sandboxConfig) checkPodSandboxConfig(request.sandboxConfig, 'sandbox_config');
  return { containerId: await ctx.containers.create(request.podSandboxId, request.config) };
}
