import { FailedPreconditionError, InvalidArgumentError } from '../../errors.js';
import type { AttachRequest__Output } from '../../generated/cri/runtime/v1/AttachRequest.js';
import type { AttachResponse } from '../../generated/cri/runtime/v1/AttachResponse.js';
import type { ServerContext } from '../context.js';

export async function attach(ctx: ServerContext, request: AttachRequest__Output): Promise<AttachResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  if (!request.stdin && !request.stdout && !request.stderr) throw new InvalidArgumentError('one of stdin, stdout and stderr must be true');
  const container = ctx.containers.store.get(request.containerId);
  if (container.metadata.state !== 'running') throw new FailedPreconditionError(`container ${container.id} is not running; attach needs a running container`);
  const url = ctx.streaming.requestUrl({ kind: 'attach', containerId: container.id, tty: request.tty, stdin: request.stdin, stdout: request.stdout, stderr: request.stderr });
  return { url };
}
