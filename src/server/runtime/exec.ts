import { FailedPreconditionError, InvalidArgumentError } from '../../errors.js';
import type { ExecRequest__Output } from '../../generated/cri/runtime/v1/ExecRequest.js';
import type { ExecResponse } from '../../generated/cri/runtime/v1/ExecResponse.js';
import type { ServerContext } from '../context.js';

/** Exec: checks the request and returns a single-use URL on the streaming server, where the command runs. */
export async function exec(ctx: ServerContext, request: ExecRequest__Output): Promise<ExecResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  if (request.cmd.length === 0) throw new InvalidArgumentError('cmd is empty; give the command to run');
  if (!request.stdin && !request.stdout && !request.stderr) throw new InvalidArgumentError('one of stdin, stdout and stderr must be true');
  if (request.tty && request.stderr) throw new InvalidArgumentError('tty and stderr cannot both be true: a terminal has one output stream');
  const container = ctx.containers.store.get(request.containerId);
  if (container.metadata.state !== 'running') throw new FailedPreconditionError(`container ${container.id} is not running; exec needs a running container`);
  const url = ctx.streaming.requestUrl({ kind: 'exec', containerId: container.id, cmd: request.cmd, tty: request.tty, stdin: request.stdin, stdout: request.stdout, stderr: request.stderr });
  return { url };
}
