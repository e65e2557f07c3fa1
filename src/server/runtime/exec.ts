import { InvalidArgumentError } from '../../errors.js';
import type { ExecRequest__Output } from '../../generated/cri/runtime/v1/ExecRequest.js';
import type { ExecResponse } from '../../generated/cri/runtime/v1/ExecResponse.js';
import type { ServerContext } from '../context.js';
import { checkExecCommand } from '../validation/checks.js';

/** Exec: a single-use URL on the streaming server, where the command runs. */
export async function exec(ctx: ServerContext, request: ExecRequest__Output): Promise<ExecResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  checkExecCommand(request.cmd);
  const { tty, stdin, stdout, stderr } = request;
  return { url: ctx.streaming.requestUrl(ctx.containers.execRequest(request.containerId, request.cmd, { tty, stdin, stdout, stderr })) };
}
