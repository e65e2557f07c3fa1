import { InvalidArgumentError } from '../../errors.js';
import type { StopContainerRequest__Output } from '../../generated/cri/runtime/v1/StopContainerRequest.js';
import type { StopContainerResponse } from '../../generated/cri/runtime/v1/StopContainerResponse.js';
import type { ServerContext } from '../context.js';
import { timeoutSeconds } from '../validation/checks.js';

/** Idempotent: a stopped or unknown container is already stopped. */
export async function stopContainer(ctx: ServerContext, request: StopContainerRequest__Output): Promise<StopContainerResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  await ctx.containers.stop(request.containerId, timeoutSeconds(request.timeout, 'timeout'));
  return {};
}
