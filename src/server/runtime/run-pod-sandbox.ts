import { InvalidArgumentError } from '../../errors.js';
import type { RunPodSandboxRequest__Output } from '../../generated/cri/runtime/v1/RunPodSandboxRequest.js';
import type { RunPodSandboxResponse } from '../../generated/cri/runtime/v1/RunPodSandboxResponse.js';
import type { ServerContext } from '../context.js';
import { checkLength } from '../validation/checks.js';
import { LIMITS } from '../validation/limits.js';
import { checkPodSandboxConfig } from '../validation/pod-config.js';

export async function runPodSandbox(ctx: ServerContext, request: RunPodSandboxRequest__Output): Promise<RunPodSandboxResponse> {
  await ctx.recovered;
  if (!request.config) throw new InvalidArgumentError('config is missing; RunPodSandbox needs the pod sandbox config');
  checkPodSandboxConfig(request.config);
  checkLength(request.runtimeHandler, LIMITS.namespace, 'runtime_handler', 'a RuntimeClass handler is a DNS label');
  return { podSandboxId: await ctx.pods.run(request.config, request.runtimeHandler) };
}
