import { nowEpochNs } from '../clock.js';
import { deleteTask } from '../containerd/tasks.js';
import type { Container } from './container.js';
import type { ContainerRuntime } from './container-runtime.js';

/** How long output may still trail the exit before the status is updated anyway. */
const IO_DRAIN_MS = 2000;

/**
 * Records a container's exit: its output drained into the log first (so a
 * status that says EXITED comes with complete logs), then the task deleted,
 * then exit code, finish time and reason kept in memory and written to
 * containerd in the background. Idempotent.
 */
export async function recordContainerExit(runtime: ContainerRuntime, container: Container, exit: { exitStatus: number; exitedAtNs: bigint }): Promise<void> {
  if (container.metadata.state === 'exited') return;
  await container.io?.drained(IO_DRAIN_MS);
  await container.io?.close();
  container.io = undefined;
  await deleteTask(runtime.pods.containerd, container.id).then(
    () => {
      container.taskGone = true;
    },
    (err: unknown) => runtime.log.warn({ containerId: container.id, err }, 'could not delete the exited task'),
  );
  const reason = container.oomKilled ? 'OOMKilled' : exit.exitStatus === 0 ? 'Completed' : 'Error';
  container.metadata = {
    ...container.metadata,
    state: 'exited',
    exitCode: exit.exitStatus,
    finishedAtNs: (exit.exitedAtNs > 0n ? exit.exitedAtNs : nowEpochNs()).toString(),
    reason,
  };
  container.pid = 0;
  container.notifyExit();
  runtime.events.publish('stopped', container);
  runtime.store.persistInBackground(container);
  runtime.log.info({ containerId: container.id, podId: container.metadata.sandboxId, exitCode: exit.exitStatus, reason }, 'container exited');
}

/** A task exit event: the container's own process ended (not an exec). */
export function onContainerTaskExit(runtime: ContainerRuntime, event: { containerId: string; processId: string; exitStatus: number; exitedAtNs: bigint }): void {
  if (event.containerId !== event.processId) return;
  const container = runtime.store.find(event.containerId);
  if (!container || container.id !== event.containerId) return;
  void runtime.store.lock
    .run(container.id, () => recordContainerExit(runtime, container, event))
    .catch((err: unknown) => runtime.log.error({ containerId: container.id, err }, 'handling the container exit failed'));
}

export function onContainerOom(runtime: ContainerRuntime, containerId: string): void {
  const container = runtime.store.find(containerId);
  if (container && container.id === containerId) container.oomKilled = true;
}
