import { InvalidArgumentError } from '../../errors.js';
import type { StopContainerRequest__Output } from '../../generated/cri/runtime/v1/StopContainerRequest.js';
import type { StopContainerResponse } from '../../generated/cri/runtime/v1/StopContainerResponse.js';
import type { ServerContext } from '../context.js';

/** Idempotent: a stopped or unknown container is already stopped. */
export async function stopContainer(ctx: ServerContext, request: StopContainerRequest__Output): Promise<StopContainerResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  const timeout = Number(request.timeout);
  if (!Number.isFinite(timeout) || timeout < 0) throw new InvalidArgumentError(`timeout must be zero or more seconds, got ${request.timeout}`);
  await ctx.containers.stop(request.containerId, timeout);
  return {};
}
