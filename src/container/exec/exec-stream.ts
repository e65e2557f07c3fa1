import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { packJson } from '../../containerd/any.js';
import { CriError, FailedPreconditionError } from '../../errors.js';
import type { RemoteCommandResult, RemoteCommandStreams } from '../../streaming/types.js';
import type { Container } from '../container.js';
import { type ContainerRuntime, containerIoDir } from '../container-runtime.js';
import { createFifos, openFifoReader, openFifoWriter, removeFifoDir } from '../io/fifo.js';
import { OCI_PROCESS_TYPE_URL, containerProcessSpec } from './process-spec.js';
import { forwardResizes } from './resize.js';

const OUTPUT_DRAIN_MS = 2000;

/**
 * Exec through the streaming server: the process gets a TTY or pipes as the
 * client asked, its output goes to the client as it comes, resize events go
 * to its console. When the client disconnects first, the process is killed.
 */
export async function execStreaming(
  runtime: ContainerRuntime,
  container: Container,
  request: { cmd: string[]; tty: boolean; stdin: boolean },
  streams: RemoteCommandStreams,
): Promise<RemoteCommandResult> {
  if (container.metadata.state !== 'running') {
    throw new FailedPreconditionError(`container ${container.id} is ${container.metadata.state.toUpperCase()}; exec needs a running container`);
  }
  const { containerd } = runtime.pods;
  const log = runtime.log.child({ containerId: container.id });
  const base = await containerProcessSpec(runtime, container);
  const execId = `exec-${randomBytes(8).toString('hex')}`;
  const dir = join(containerIoDir(runtime, container.id), execId);
  const names = [...(request.stdin ? ['stdin'] : []), 'stdout', ...(request.tty ? [] : ['stderr'])];
  const paths = Object.fromEntries((await createFifos(dir, names)).map((p, i) => [names[i]!, p])) as Record<string, string>;
  const stdout = await openFifoReader(paths.stdout!);
  const stderr = paths.stderr ? await openFifoReader(paths.stderr) : undefined;
  const stdin = paths.stdin ? await openFifoWriter(paths.stdin) : undefined;
  const outputDone = Promise.all(
    [
      [stdout, streams.stdout],
      [stderr, streams.stderr],
    ].map(([reader, target]) => {
      if (!reader || !('socket' in reader)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        reader.socket.on('data', (chunk: Buffer) => (target && 'write' in target ? target.write(chunk) : undefined));
        reader.socket.once('end', () => resolve());
        reader.socket.once('close', () => resolve());
        reader.socket.once('error', () => resolve());
      });
    }),
  );
  let created = false;
  let exited = false;
  try {
    await containerd.tasks.Exec({
      containerId: container.id,
      execId,
      stdin: paths.stdin ?? '',
      stdout: paths.stdout!,
      stderr: paths.stderr ?? '',
      terminal: request.tty,
      spec: packJson(OCI_PROCESS_TYPE_URL, { ...base, args: request.cmd, terminal: request.tty }),
    });
    created = true;
    try {
      await container.execStarts.run(() => containerd.tasks.Start({ containerId: container.id, execId }));
    } catch (err) {
      return { error: `could not start ${JSON.stringify(request.cmd[0])} in container ${container.id}: ${(err as Error).message}` };
    }
    stdout.releasePlaceholder();
    stderr?.releasePlaceholder();
    if (stdin && streams.stdin) {
      streams.stdin.pipe(stdin);
      // The shim keeps a writer of its own on the FIFO, so closing ours is not EOF: CloseIO is.
      stdin.once('finish', () => {
        void containerd.tasks.CloseIO({ containerId: container.id, execId, stdin: true }).catch(() => undefined);
      });
    }
    if (request.tty && streams.resize) void forwardResizes(runtime, container.id, execId, streams.resize, log);
    const waited = containerd.tasks.Wait({ containerId: container.id, execId }, { timeoutMs: 365 * 24 * 3600 * 1000 });
    const outcome = await Promise.race([waited.then((w) => ({ exit: w.exitStatus })), streams.clientGone.then(() => ({ gone: true as const }))]);
    if ('gone' in outcome) {
      log.info({ execId }, 'exec client disconnected; killing the process');
      await containerd.tasks.Kill({ containerId: container.id, execId, signal: 9, all: false }).catch(() => undefined);
      await waited.catch(() => undefined);
      exited = true;
      return { error: 'client disconnected' };
    }
    exited = true;
    await Promise.race([outputDone, new Promise((r) => setTimeout(r, OUTPUT_DRAIN_MS))]);
    return { exitCode: outcome.exit };
  } catch (err) {
    if (err instanceof CriError) return { error: err.message };
    throw err;
  } finally {
    if (created && !exited) await containerd.tasks.Kill({ containerId: container.id, execId, signal: 9, all: false }).catch(() => undefined);
    stdout.releasePlaceholder();
    stdout.socket.destroy();
    stderr?.releasePlaceholder();
    stderr?.socket.destroy();
    stdin?.destroy();
    if (created) await containerd.tasks.DeleteProcess({ containerId: container.id, execId }).catch(() => undefined);
    await removeFifoDir(dir).catch(() => undefined);
  }
}
