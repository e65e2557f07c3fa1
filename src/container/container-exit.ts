import { nowEpochNs } from '../clock.js';
import { deleteTask } from '../containerd/tasks.js';
import type { Container } from './container.js';
import type { ContainerContext } from './container-context.js';

/** How long output may still trail the exit before the status is updated anyway. */
const IO_DRAIN_MS = 2000;

/**
 * Records a container's exit: its output drained into the log first (so a
 * status that says EXITED comes with complete logs), then the task deleted,
 * then exit code, finish time and reason kept in memory and written to
 * containerd in the background. Idempotent.
 */
export async function recordContainerExit(ctx: ContainerContext, container: Container, exit: { exitStatus: number; exitedAtNs: bigint }): Promise<void> {
  if (container.metadata.state === 'exited') return;
  await container.io?.drained(IO_DRAIN_MS);
  await container.io?.close();
  container.io = undefined;
  await deleteTask(ctx.containerd, container.id).then(
    () => {
      container.taskGone = true;
    },
    (err: unknown) => ctx.log.warn({ containerId: container.id, err }, 'could not delete the exited task'),
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
  ctx.events.publish('stopped', container);
  await ctx.nri.stopContainer(ctx.pods.find(container.metadata.sandboxId), container);
  ctx.store.persistInBackground(container);
  ctx.log.info({ containerId: container.id, podId: container.metadata.sandboxId, exitCode: exit.exitStatus, reason }, 'container exited');
}
