import { InvalidArgumentError } from '../../errors.js';
import type { ExecSyncRequest__Output } from '../../generated/cri/runtime/v1/ExecSyncRequest.js';
import type { ExecSyncResponse } from '../../generated/cri/runtime/v1/ExecSyncResponse.js';
import type { ServerContext } from '../context.js';

export async function execSync(ctx: ServerContext, request: ExecSyncRequest__Output): Promise<ExecSyncResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  const timeout = Number(request.timeout);
  if (!Number.isFinite(timeout) || timeout < 0) throw new InvalidArgumentError(`timeout must be zero or more seconds, got ${request.timeout}`);
  return ctx.containers.execSync(request.containerId, request.cmd, timeout);
}
