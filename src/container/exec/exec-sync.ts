import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { packJson } from '../../containerd/any.js';
import { CriError, FailedPreconditionError, InvalidArgumentError, isCriError } from '../../errors.js';
import type { Container } from '../container.js';
import { type ContainerRuntime, containerIoDir } from '../container-runtime.js';
import { createFifos, openFifoReader, removeFifoDir } from '../io/fifo.js';
import { OCI_PROCESS_TYPE_URL, containerProcessSpec } from './process-spec.js';

/** kubelet caps exec output at 16 MiB per stream; more is read and dropped so the process never blocks. */
export const MAX_EXEC_OUTPUT_BYTES = 16 * 1024 * 1024;
const OUTPUT_DRAIN_MS = 2000;
const KILL_WAIT_MS = 10_000;
const NO_TIMEOUT_MS = 365 * 24 * 3600 * 1000;

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** Collects a stream up to the cap, resolving at EOF. */
function collect(socket: Socket): { done: Promise<void>; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  let size = 0;
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      if (size >= MAX_EXEC_OUTPUT_BYTES) return;
      const room = MAX_EXEC_OUTPUT_BYTES - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
    });
    socket.once('end', () => resolve());
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
  return { done, bytes: () => Buffer.concat(chunks) };
}

/**
 * ExecSync: runs `cmd` in the container as its main process runs (same user,
 * env, capabilities), captures stdout and stderr, and returns the exit code.
 * With a timeout the process is killed when it expires and the call fails
 * with DeadlineExceeded; nothing of the process stays behind.
 */
export async function execSync(runtime: ContainerRuntime, container: Container, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
  if (cmd.length === 0) throw new InvalidArgumentError('cmd is empty; give the command to run');
  if (container.metadata.state !== 'running') {
    throw new FailedPreconditionError(`container ${container.id} is ${container.metadata.state.toUpperCase()}; exec needs a running container`);
  }
  const { containerd } = runtime.pods;
  const base = await containerProcessSpec(runtime, container);
  const execId = `exec-${randomBytes(8).toString('hex')}`;
  const dir = join(containerIoDir(runtime, container.id), execId);
  const [stdoutPath, stderrPath] = await createFifos(dir, ['stdout', 'stderr']);
  const readers = await Promise.all([openFifoReader(stdoutPath!), openFifoReader(stderrPath!)]);
  const [out, err] = readers.map((r) => collect(r.socket)) as [ReturnType<typeof collect>, ReturnType<typeof collect>];
  const closeReaders = (): void => {
    for (const r of readers) {
      r.releasePlaceholder();
      r.socket.destroy();
    }
  };
  let created = false;
  try {
    await container.execStarts.run(async () => {
      await containerd.tasks.Exec({
        containerId: container.id,
        execId,
        stdout: stdoutPath!,
        stderr: stderrPath!,
        terminal: false,
        spec: packJson(OCI_PROCESS_TYPE_URL, { ...base, args: cmd, terminal: false }),
      });
      created = true;
      try {
        await containerd.tasks.Start({ containerId: container.id, execId });
      } catch (startErr) {
        throw new FailedPreconditionError(`could not start ${JSON.stringify(cmd[0])} in container ${container.id}: ${(startErr as Error).message}`, { cause: startErr });
      }
    });
    for (const r of readers) r.releasePlaceholder();
    let exitCode: number;
    try {
      const waitMs = timeoutSeconds > 0 ? timeoutSeconds * 1000 : NO_TIMEOUT_MS;
      ({ exitStatus: exitCode } = await containerd.tasks.Wait({ containerId: container.id, execId }, { timeoutMs: waitMs }));
    } catch (waitErr) {
      if (!isCriError(waitErr, 'DeadlineExceeded')) throw waitErr;
      await containerd.tasks.Kill({ containerId: container.id, execId, signal: 9, all: false }).catch(() => undefined);
      await containerd.tasks.Wait({ containerId: container.id, execId }, { timeoutMs: KILL_WAIT_MS }).catch(() => undefined);
      throw new CriError('DeadlineExceeded', `command ${JSON.stringify(cmd.join(' '))} timed out after ${timeoutSeconds}s and was killed`);
    }
    await Promise.race([Promise.all([out.done, err.done]), new Promise((r) => setTimeout(r, OUTPUT_DRAIN_MS))]);
    return { stdout: out.bytes(), stderr: err.bytes(), exitCode };
  } finally {
    closeReaders();
    if (created) await containerd.tasks.DeleteProcess({ containerId: container.id, execId }).catch(() => undefined);
    await removeFifoDir(dir).catch(() => undefined);
  }
}
