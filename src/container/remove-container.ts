import { rm } from 'node:fs/promises';
import { deleteContainerAndSnapshot } from '../containerd/container-records.js';
import { deleteTask } from '../containerd/tasks.js';
import type { Container } from './container.js';
import { type ContainerRuntime, containerIoDir, containerRootDir } from './container-runtime.js';
import { ContainerIo } from './io/container-io.js';
import { stopContainer } from './stop-container.js';

/**
 * RemoveContainer on a locked container: a running one is killed first,
 * then its task, record, snapshot, FIFOs and image volumes go. The log file stays: kubelet
 * owns logs.
 */
export async function removeContainer(runtime: ContainerRuntime, container: Container): Promise<void> {
  const { containerd } = runtime.pods;
  await stopContainer(runtime, container, 0);
  await container.io?.close();
  if (!container.taskGone) await deleteTask(containerd, container.id);
  await Promise.all([
    deleteContainerAndSnapshot(containerd, container.id, container.metadata.snapshotter),
    ContainerIo.remove(containerIoDir(runtime, container.id)),
    rm(containerRootDir(runtime, container.id), { recursive: true, force: true }),
  ]);
  runtime.store.delete(container.id);
  runtime.events.publish('deleted', container);
  runtime.log.info({ containerId: container.id, podId: container.metadata.sandboxId }, 'container removed');
}
