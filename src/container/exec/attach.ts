import { FailedPreconditionError } from '../../errors.js';
import type { RemoteCommandResult, RemoteCommandStreams } from '../../streaming/types.js';
import type { Container } from '../container.js';
import type { ContainerContext } from '../container-context.js';
import { requireRunning } from './exec-request.js';
import { forwardResizes } from './resize.js';

/** Read afresh: the exit handler changes it while an attach waits. */
function currentState(container: Container): string {
  return container.metadata.state;
}

/**
 * Attach: the client sees the container's output from now on and, if the
 * container was created with stdin, writes to its stdin. It ends when the
 * client leaves or the container exits; the container keeps running. With
 * stdin_once, the container's stdin closes when this attach's stdin ends.
 */
export async function attachStreaming(ctx: ContainerContext, container: Container, request: { tty: boolean; stdin: boolean }, streams: RemoteCommandStreams): Promise<RemoteCommandResult> {
  requireRunning(container, 'attach');
  const io = container.io;
  if (!io) throw new FailedPreconditionError(`container ${container.id} has no output to attach to yet; try again`);
  const { config } = container.metadata;
  const log = ctx.log.child({ containerId: container.id });
  const unsubscribe = io.onOutput((stream, chunk) => {
    const target = stream === 'stderr' && !config.tty ? streams.stderr : streams.stdout;
    target?.write(chunk);
  });
  const containerStdin = io.stdin();
  if (request.stdin && streams.stdin && containerStdin) {
    streams.stdin.on('data', (chunk: Buffer) => containerStdin.write(chunk));
    streams.stdin.once('end', () => {
      if (!config.stdinOnce) return;
      io.closeStdin();
      // The shim holds a writer of its own on the FIFO: only CloseIO ends the process's stdin.
      void ctx.containerd.tasks.CloseIO({ containerId: container.id, execId: '', stdin: true }).catch(() => undefined);
    });
  }
  if (request.tty && streams.resize) void forwardResizes(ctx, container.id, '', streams.resize, log);
  let stopWatching = (): void => undefined;
  const exited = new Promise<void>((resolve) => {
    stopWatching = container.onExit(resolve);
  });
  try {
    await Promise.race([exited, streams.clientGone]);
    const ended = currentState(container) === 'exited';
    return { exitCode: ended ? container.metadata.exitCode : 0 };
  } finally {
    stopWatching();
    unsubscribe();
  }
}
