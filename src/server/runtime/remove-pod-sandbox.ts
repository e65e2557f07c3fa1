import { InvalidArgumentError } from '../../errors.js';
import type { RemovePodSandboxRequest__Output } from '../../generated/cri/runtime/v1/RemovePodSandboxRequest.js';
import type { RemovePodSandboxResponse } from '../../generated/cri/runtime/v1/RemovePodSandboxResponse.js';
import type { ServerContext } from '../context.js';

/** Idempotent: a pod that is not there is already removed. */
export async function removePodSandbox(ctx: ServerContext, request: RemovePodSandboxRequest__Output): Promise<RemovePodSandboxResponse> {
  await ctx.recovered;
  if (request.podSandboxId === '') throw new InvalidArgumentError('pod_sandbox_id is empty');
  await ctx.pods.remove(request.podSandboxId);
  return {};
}
