import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { Logger } from '../../log.js';
import { errorMessage } from '../../errors.js';
import { statusFor, type MetaStatus } from '../status.js';
import type { RemoteCommandResult, RemoteCommandRunner, RemoteCommandStreams, StreamingRequest } from '../types.js';

export type RemoteCommandRequest = Extract<StreamingRequest, { kind: 'exec' | 'attach' }>;

/** kubelet drops stderr for tty sessions (NewOptions): the terminal merges it into stdout. */
export function wantsStderr(request: RemoteCommandRequest): boolean {
  return request.stderr && !request.tty;
}

/** Runs the command through the runner and turns how it ended into the Status for the client. */
export async function runRemoteCommand(
  request: RemoteCommandRequest,
  runner: RemoteCommandRunner,
  streams: RemoteCommandStreams,
  log: Logger,
): Promise<MetaStatus> {
  let result: RemoteCommandResult;
  try {
    result = request.kind === 'exec' ? await runner.exec(request, streams) : await runner.attach(request, streams);
  } catch (err) {
    result = { error: errorMessage(err) };
  }
  if ('error' in result) log.warn({ err: result.error }, `${request.kind} failed`);
  else log.info({ exitCode: result.exitCode }, `${request.kind} finished`);
  return statusFor(result, request.kind === 'exec' ? { kind: 'exec', cmd: request.cmd } : { kind: 'attach' });
}

/**
 * Ends a writable the runner may have left open and waits until what it
 * buffered went out, so all output precedes the status. Bounded: a client
 * that stopped reading must not hold the session forever.
 */
export async function flushWritable(stream: Writable | undefined, timeoutMs = 10_000): Promise<void> {
  if (!stream || stream.destroyed) return;
  if (!stream.writableEnded) stream.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    finished(stream, { readable: false }).catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
