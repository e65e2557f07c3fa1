import { getTask, killTask, waitTask } from '../containerd/tasks.js';
import { CriError } from '../errors.js';
import type { Container } from './container.js';
import { recordContainerExit } from './container-exit.js';
import type { ContainerContext } from './container-context.js';
import { criSignalNumber, signalNumber } from './signals.js';

const SIGKILL = 9;
/** After SIGKILL a process is gone within moments unless it is stuck in the kernel. */
const KILL_WAIT_MS = 10_000;

function stopSignalOf(container: Container): number {
  const fromConfig = criSignalNumber(container.metadata.config.stopSignal, 'config.stop_signal');
  if (fromConfig !== undefined) return fromConfig;
  if (container.metadata.stopSignal) return signalNumber(container.metadata.stopSignal, `the image's StopSignal`);
  return signalNumber('SIGTERM', 'default stop signal');
}

/**
 * StopContainer on a locked container: the stop signal, then SIGKILL once
 * `timeoutSeconds` pass (at once for 0). A container that is not running is
 * already stopped.
 */
export async function stopContainer(ctx: ContainerContext, container: Container, timeoutSeconds: number): Promise<void> {
  if (container.metadata.state !== 'running') return;
  const { containerd } = ctx;
  const log = ctx.log.child({ containerId: container.id, podId: container.metadata.sandboxId });
  let exit: { exitStatus: number; exitedAtNs: bigint } | undefined;
  if (timeoutSeconds > 0) {
    await killTask(containerd, container.id, stopSignalOf(container));
    exit = await waitTask(containerd, container.id, timeoutSeconds * 1000);
    if (!exit) log.info({ timeoutSeconds }, 'container ignored its stop signal; killing it');
  }
  if (!exit) {
    await killTask(containerd, container.id, SIGKILL, true);
    exit = await waitTask(containerd, container.id, KILL_WAIT_MS);
    if (!exit) throw new CriError('DeadlineExceeded', `container ${container.id} did not exit within ${KILL_WAIT_MS} ms of SIGKILL`);
  }
  // Wait reports no exit time when the task was already gone; then the task's own record, if any, is more exact.
  const task = exit.exitedAtNs === 0n ? await getTask(containerd, container.id).catch(() => undefined) : undefined;
  await recordContainerExit(ctx, container, task?.status === 'stopped' ? task : exit);
}
