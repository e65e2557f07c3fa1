import { removeLeftoverCgroup } from '../host/cgroup-removal.js';
import { deleteContainerAndSnapshot } from '../records/container-records.js';
import { deleteTask } from '../containerd/tasks.js';
import type { Container, ContainerMetadata } from './container.js';
import { type ContainerContext, containerIoDir, containerRootDir, removeContainerRootDir } from './container-context.js';
import { releaseImageMounts } from './image-mounts.js';
import { ContainerIo } from './io/container-io.js';
import { stopContainer } from './stop-container.js';

/**
 * RemoveContainer on a locked container: a running one is killed first,
 * then its task, image mounts, record, snapshot, FIFOs and image volumes go. The log file stays: kubelet
 * owns logs.
 */
export async function removeContainer(ctx: ContainerContext, container: Container): Promise<void> {
  const { containerd } = ctx;
  await stopContainer(ctx, container, 0);
  // The record is about to go, so a state write still due is moot; it is due again if removal fails.
  ctx.store.cancelBackgroundWrite(container.id);
  try {
    await container.io?.close();
    await container.preparedIo?.close();
    container.preparedIo = undefined;
    if (!container.taskGone) await deleteTask(containerd, container.id);
    await deleteContainerTraces(ctx, container.metadata);
  } catch (err) {
    ctx.store.persistInBackground(container);
    throw err;
  }
  ctx.store.delete(container.id);
  ctx.events.publish('deleted', container);
  await ctx.nri.removeContainer(ctx.pods.find(container.metadata.sandboxId), container);
  ctx.log.info({ containerId: container.id, podId: container.metadata.sandboxId }, 'container removed');
}

/**
 * What a container without a task leaves: its image mounts first (unmounted
 * before anything under its directory is removed), then its record,
 * snapshot, FIFOs, image volumes and any cgroup runc left, all at once; absent ones are fine.
 */
export async function deleteContainerTraces(ctx: ContainerContext, container: Pick<ContainerMetadata, 'id' | 'snapshotter' | 'imageMounts' | 'cgroupsPath'>): Promise<void> {
  const { id, snapshotter, imageMounts = [] } = container;
  const rootDir = containerRootDir(ctx, id);
  if (imageMounts.length > 0) await releaseImageMounts(ctx.containerd, { containerId: id, snapshotter, rootDir, imageMounts });
  await Promise.all([
    deleteContainerAndSnapshot(ctx.containerd, id, snapshotter),
    ContainerIo.remove(containerIoDir(ctx, id)),
    removeContainerRootDir(rootDir, imageMounts.length > 0),
    removeLeftoverCgroup(container.cgroupsPath, id),
  ]);
}
