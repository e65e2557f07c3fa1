import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { packJson } from '../../containerd/any.js';
import { waitProcess } from '../../containerd/tasks.js';
import { FailedPreconditionError } from '../../errors.js';
import type { Container } from '../container.js';
import { type ContainerContext, containerIoDir } from '../container-context.js';
import { createFifos, type FifoReader, openFifoReader, openFifoWriter, removeFifoDir } from '../io/fifo.js';
import { requireRunning } from './exec-request.js';
import { OCI_PROCESS_TYPE_URL, containerProcessSpec } from './process-spec.js';

const SIGKILL = 9;

/**
 * One process exec'd in a running container, with its FIFOs: what ExecSync
 * and streaming exec share. Call `start`, then `wait`; `dispose` always,
 * which kills a process still running and leaves no FIFO or process record.
 */
export interface ExecProcess {
  readonly execId: string;
  readonly stdout: FifoReader;
  /** Absent with a TTY: a terminal has one output stream. */
  readonly stderr: FifoReader | undefined;
  /** Present when stdin was asked for. */
  readonly stdin: Socket | undefined;
  /** Exec and start the process; FailedPrecondition naming the command when it cannot start. */
  start(): Promise<void>;
  /** Its exit code, or undefined when it did not exit within `timeoutMs`. */
  wait(timeoutMs: number): Promise<number | undefined>;
  kill(): Promise<void>;
  /** Ends the process's stdin: the shim keeps a writer of its own on the FIFO, so only CloseIO does. */
  closeStdin(): Promise<void>;
  dispose(): Promise<void>;
}

export async function prepareExec(
  ctx: ContainerContext,
  container: Container,
  request: { cmd: string[]; tty: boolean; stdin: boolean },
): Promise<ExecProcess> {
  requireRunning(container, 'exec');
  const { containerd } = ctx;
  const containerId = container.id;
  const base = await containerProcessSpec(ctx, container);
  const execId = `exec-${randomBytes(8).toString('hex')}`;
  const dir = join(containerIoDir(ctx, containerId), execId);
  const names = [...(request.stdin ? ['stdin'] : []), 'stdout', ...(request.tty ? [] : ['stderr'])];
  const paths = Object.fromEntries((await createFifos(dir, names)).map((p, i) => [names[i]!, p])) as Record<string, string>;
  const stdout = await openFifoReader(paths.stdout!);
  const stderr = paths.stderr ? await openFifoReader(paths.stderr) : undefined;
  const stdin = paths.stdin ? await openFifoWriter(paths.stdin) : undefined;
  let created = false;
  let exited = false;
  const kill = async (): Promise<void> => {
    await containerd.tasks.Kill({ containerId, execId, signal: SIGKILL, all: false }).catch(() => undefined);
  };
  return {
    execId,
    stdout,
    stderr,
    stdin,
    async start() {
      await container.execStarts.run(async () => {
        await containerd.tasks.Exec({
          containerId,
          execId,
          stdin: paths.stdin ?? '',
          stdout: paths.stdout!,
          stderr: paths.stderr ?? '',
          terminal: request.tty,
          spec: packJson(OCI_PROCESS_TYPE_URL, { ...base, args: request.cmd, terminal: request.tty }),
        });
        created = true;
        try {
          await containerd.tasks.Start({ containerId, execId });
        } catch (err) {
          throw new FailedPreconditionError(`could not start ${JSON.stringify(request.cmd[0])} in container ${containerId}: ${(err as Error).message}`, { cause: err });
        }
      });
      stdout.releasePlaceholder();
      stderr?.releasePlaceholder();
    },
    async wait(timeoutMs) {
      const exit = await waitProcess(containerd, { containerId, execId }, timeoutMs);
      if (exit) exited = true;
      return exit?.exitStatus;
    },
    kill,
    async closeStdin() {
      await containerd.tasks.CloseIO({ containerId, execId, stdin: true }).catch(() => undefined);
    },
    async dispose() {
      if (created && !exited) await kill();
      for (const reader of [stdout, stderr]) {
        reader?.releasePlaceholder();
        reader?.socket.destroy();
      }
      stdin?.destroy();
      if (created) await containerd.tasks.DeleteProcess({ containerId, execId }).catch(() => undefined);
      await removeFifoDir(dir).catch(() => undefined);
    },
  };
}
