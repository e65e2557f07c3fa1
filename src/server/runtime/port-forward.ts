import { InvalidArgumentError } from '../../errors.js';
import type { PortForwardRequest__Output } from '../../generated/cri/runtime/v1/PortForwardRequest.js';
import type { PortForwardResponse } from '../../generated/cri/runtime/v1/PortForwardResponse.js';
import type { ServerContext } from '../context.js';

/** PortForward: a single-use URL on the streaming server, which forwards into the pod's network namespace. */
export async function portForward(ctx: ServerContext, request: PortForwardRequest__Output): Promise<PortForwardResponse> {
  await ctx.recovered;
  if (request.podSandboxId === '') throw new InvalidArgumentError('pod_sandbox_id is empty');
  const podSandboxId = ctx.pods.checkPortForward(request.podSandboxId, request.port);
  return { url: ctx.streaming.requestUrl({ kind: 'portforward', podSandboxId, ports: request.port }) };
}
