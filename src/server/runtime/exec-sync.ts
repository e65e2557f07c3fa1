import { InvalidArgumentError } from '../../errors.js';
import type { ExecSyncRequest__Output } from '../../generated/cri/runtime/v1/ExecSyncRequest.js';
import type { ExecSyncResponse } from '../../generated/cri/runtime/v1/ExecSyncResponse.js';
import type { ServerContext } from '../context.js';
import { checkExecCommand, timeoutSeconds } from '../validation/checks.js';

export async function execSync(ctx: ServerContext, request: ExecSyncRequest__Output): Promise<ExecSyncResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  checkExecCommand(request.cmd);
  return ctx.containers.execSync(request.containerId, request.cmd, timeoutSeconds(request.timeout, 'timeout'));
}
