import { nowEpochNs } from '../clock.js';
import { deleteTask, getTask, knownTaskOf, listTasks, type TaskState, taskMayRun } from '../containerd/tasks.js';
import { isCriError } from '../errors.js';
import { CriTsLabel } from '../records/labels.js';
import { Container, type ContainerMetadata } from './container.js';
import { recordContainerExit } from './container-exit.js';
import { type ContainerContext, containerIoDir } from './container-context.js';
import { deleteContainerTraces } from './remove-container.js';
import { CONTAINER_EXTENSION, decodeContainerMetadata } from './container-store.js';
import { ContainerIo } from './io/container-io.js';
import { removeOrphanedContainerDirs } from './orphaned-containers.js';
import { allStepsSettled } from '../undo-stack.js';

/** Exit code for a container whose task vanished while cri-ts was away, as containerd's CRI reports it. */
const UNKNOWN_EXIT_CODE = 255;

/**
 * Rebuilds the container index from containerd when cri-ts starts. A running
 * container gets its FIFOs read again (so its log keeps being written); one
 * that exited meanwhile gets its exit recorded from the task. A record that
 * still says CREATED is checked against containerd too: its task may have
 * started just before cri-ts stopped, and a creation cut short leaves a
 * record without its snapshot, which is removed.
 */
export async function recoverContainers(
  ctx: ContainerContext,
  taskSnapshot: Promise<ReadonlyMap<string, TaskState>> = listTasks(ctx.containerd),
): Promise<{ running: number; exited: number; created: number; cleanedUp: number; orphansRemoved: number }> {
  const { containerd } = ctx;
  const [{ containers }, tasks] = await Promise.all([
    containerd.containers.List({ filters: [`labels."${CriTsLabel.kind}"==${CriTsLabel.containerKind}`] }),
    taskSnapshot,
  ]);
  const counts = { running: 0, exited: 0, created: 0, cleanedUp: 0, orphansRemoved: 0 };
  // Each container on its own, all at once: reopening a running one's FIFOs and log is a few file opens.
  const recoverOne = async (record: (typeof containers)[number]): Promise<void> => {
    const metadata = decodeContainerMetadata(record.extensions[CONTAINER_EXTENSION]);
    if (!metadata) return;
    const container = new Container(metadata);
    const log = ctx.log.child({ containerId: container.id, podId: metadata.sandboxId });
    if (metadata.state === 'exited' || metadata.state === 'unknown') {
      ctx.store.add(container);
      if (metadata.state === 'exited') counts.exited++;
      return;
    }
    let task = await knownTaskOf(containerd, tasks, container.id);
    if (metadata.state === 'created') {
      if (task?.status === 'created') {
        // Tasks.Create ran but Start did not: StartContainer creates the task afresh.
        await deleteTask(containerd, container.id);
        task = undefined;
      }
      if (!task) {
        const mounts = await containerd.snapshots.Mounts({ snapshotter: metadata.snapshotter, key: container.id }).then(
          (r) => r.mounts,
          (err: unknown) => {
            if (isCriError(err, 'NotFound')) return undefined;
            throw err;
          },
        );
        if (!mounts) {
          log.warn('container was half-created when cri-ts stopped; removing its record');
          await deleteContainerTraces(ctx, metadata);
          counts.cleanedUp++;
          return;
        }
        container.rootfsMounts = mounts;
        container.taskGone = true;
        ctx.store.add(container);
        counts.created++;
        return;
      }
      // Started just before cri-ts stopped, which then did not write RUNNING.
      container.metadata = { ...metadata, state: 'running', startedAtNs: nowEpochNs().toString() };
      ctx.store.persistInBackground(container);
    }
    ctx.store.add(container);
    if (taskMayRun(task)) {
      if (task.status === 'unknown') log.warn('containerd still reports the task state unknown; keeping the container RUNNING until its exit is seen');
      container.pid = task.pid;
      container.io = await ContainerIo.reattach({
        dir: containerIoDir(ctx, container.id),
        stdin: metadata.config.stdin,
        tty: metadata.config.tty,
        logPath: metadata.logPath,
        maxLineBytes: ctx.config.maxContainerLogLineSize,
        log,
      });
      counts.running++;
      return;
    }
    if (task) {
      await recordContainerExit(ctx, container, task);
    } else {
      await recordContainerExit(ctx, container, { exitStatus: UNKNOWN_EXIT_CODE, exitedAtNs: nowEpochNs() });
      container.metadata = { ...container.metadata, reason: 'Unknown', message: 'the container task was gone when cri-ts started' };
      ctx.store.persistInBackground(container);
    }
    counts.exited++;
  };
  // Settled, all of them, before a failure makes the caller try the whole recovery again.
  // Directories of containers without a record are removed meanwhile: none of them is one of these.
  [counts.orphansRemoved] = await allStepsSettled([removeOrphanedContainerDirs(ctx, new Set(containers.map((c) => c.id))), allStepsSettled(containers.map(recoverOne))]);
  return counts;
}

/**
 * Container records no call knows of: a CreateContainer whose undo could not
 * delete its record (containerd went away meanwhile) and already gave up its
 * name. Found after containerd comes back, to be removed.
 */
export async function leftoverContainerRecords(ctx: ContainerContext): Promise<ContainerMetadata[]> {
  const { containers } = await ctx.containerd.containers.List({ filters: [`labels."${CriTsLabel.kind}"==${CriTsLabel.containerKind}`] });
  return containers.flatMap((record) => {
    if (ctx.store.isKnown(record.id)) return [];
    const metadata = decodeContainerMetadata(record.extensions[CONTAINER_EXTENSION]);
    return metadata ? [metadata] : [];
  });
}

/**
 * After an event subscription (re)starts: the running containers whose
 * tasks are gone, with their exits as containerd still knows them. `tasks`
 * is one listTasks snapshot; a container it does not show running is asked
 * again on its own (its start may have finished after the snapshot).
 */
export async function missedContainerExits(
  ctx: ContainerContext,
  tasks: ReadonlyMap<string, TaskState>,
): Promise<Array<{ container: Container; exit: { exitStatus: number; exitedAtNs: bigint } }>> {
  const missed: Array<{ container: Container; exit: { exitStatus: number; exitedAtNs: bigint } }> = [];
  for (const container of ctx.store.list()) {
    if (container.metadata.state !== 'running' || taskMayRun(tasks.get(container.id))) continue;
    let task;
    try {
      task = await getTask(ctx.containerd, container.id);
    } catch (err) {
      // Not knowing is not an exit: the next reconciliation or the exit event settles it.
      ctx.log.warn({ containerId: container.id, err }, 'could not read the task state; leaving the container RUNNING');
      continue;
    }
    if (taskMayRun(task)) continue;
    missed.push({ container, exit: task ?? { exitStatus: UNKNOWN_EXIT_CODE, exitedAtNs: nowEpochNs() } });
  }
  return missed;
}

/**
 * Containers that read EXITED but still have a task in containerd: a start
 * whose reply was lost when containerd died (the undo's delete failed while
 * it was away, and the caller was told the start failed), or an exit whose
 * task delete failed the same way. Their processes must not run on unseen.
 */
export function exitedContainersWithTasks(ctx: ContainerContext, tasks: ReadonlyMap<string, TaskState>): Container[] {
  return ctx.store.list().filter((c) => c.metadata.state === 'exited' && tasks.has(c.id));
}
