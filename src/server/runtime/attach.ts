import { InvalidArgumentError } from '../../errors.js';
import type { AttachRequest__Output } from '../../generated/cri/runtime/v1/AttachRequest.js';
import type { AttachResponse } from '../../generated/cri/runtime/v1/AttachResponse.js';
import type { ServerContext } from '../context.js';

/** Attach: a single-use URL on the streaming server, where the client attaches to a running container. */
export async function attach(ctx: ServerContext, request: AttachRequest__Output): Promise<AttachResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  const { tty, stdin, stdout, stderr } = request;
  return { url: ctx.streaming.requestUrl(ctx.containers.attachRequest(request.containerId, { tty, stdin, stdout, stderr })) };
}
