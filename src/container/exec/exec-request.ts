import { FailedPreconditionError, InvalidArgumentError } from '../../errors.js';
import type { Container } from '../container.js';

/** What Exec and Attach ask of a container's streams. */
export interface StdioRequest {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** Exec and attach reach a running container only. */
export function requireRunning(container: Container, what: 'exec' | 'attach'): void {
  if (container.metadata.state !== 'running') {
    throw new FailedPreconditionError(`container ${container.id} is ${container.metadata.state.toUpperCase()}; ${what} needs a running container`);
  }
}

/** At least one stream, and a terminal has one output stream (exec only: attach follows the container's own tty). */
export function requireStreams(request: StdioRequest, what: 'exec' | 'attach'): void {
  if (!request.stdin && !request.stdout && !request.stderr) throw new InvalidArgumentError('one of stdin, stdout and stderr must be true');
  if (what === 'exec' && request.tty && request.stderr) throw new InvalidArgumentError('tty and stderr cannot both be true: a terminal has one output stream');
}
