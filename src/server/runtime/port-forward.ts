import { FailedPreconditionError, InvalidArgumentError } from '../../errors.js';
import type { PortForwardRequest__Output } from '../../generated/cri/runtime/v1/PortForwardRequest.js';
import type { PortForwardResponse } from '../../generated/cri/runtime/v1/PortForwardResponse.js';
import type { ServerContext } from '../context.js';

export async function portForward(ctx: ServerContext, request: PortForwardRequest__Output): Promise<PortForwardResponse> {
  await ctx.recovered;
  if (request.podSandboxId === '') throw new InvalidArgumentError('pod_sandbox_id is empty');
  for (const port of request.port) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`port ${port} is not a TCP port (1-65535)`);
  }
  const sandbox = ctx.pods.store.get(request.podSandboxId);
  if (sandbox.state !== 'ready') throw new FailedPreconditionError(`pod sandbox ${sandbox.id} is not ready; nothing can be forwarded into it`);
  return { url: ctx.streaming.requestUrl({ kind: 'portforward', podSandboxId: sandbox.id, ports: request.port }) };
}
