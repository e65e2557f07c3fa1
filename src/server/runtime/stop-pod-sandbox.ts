import { InvalidArgumentError } from '../../errors.js';
import type { StopPodSandboxRequest__Output } from '../../generated/cri/runtime/v1/StopPodSandboxRequest.js';
import type { StopPodSandboxResponse } from '../../generated/cri/runtime/v1/StopPodSandboxResponse.js';
import type { ServerContext } from '../context.js';

/** Idempotent: stopping a stopped pod, or one already removed, succeeds (CRI's rule). */
export async function stopPodSandbox(ctx: ServerContext, request: StopPodSandboxRequest__Output): Promise<StopPodSandboxResponse> {
  await ctx.recovered;
  if (request.podSandboxId === '') throw new InvalidArgumentError('pod_sandbox_id is empty');
  await ctx.pods.stop(request.podSandboxId);
  return {};
}
