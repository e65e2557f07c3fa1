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
  // The record is about to go, so a state write still due is moot; it is due again if removal fails.
  runtime.store.cancelBackgroundWrite(container.id);
  try {
    await container.io?.close();
    await container.preparedIo?.close();
    container.preparedIo = undefined;
    if (!container.taskGone) await deleteTask(containerd, container.id);
    await deleteContainerTraces(runtime, container.id, container.metadata.snapshotter);
  } catch (err) {
    runtime.store.persistInBackground(container);
    throw err;
  }
  runtime.store.delete(container.id);
  runtime.events.publish('deleted', container);
  runtime.log.info({ containerId: container.id, podId: container.metadata.sandboxId }, 'container removed');
}

/** What a container without a task leaves: its record, snapshot, FIFOs and image volumes, all at once; absent ones are fine. */
export async function deleteContainerTraces(runtime: ContainerRuntime, id: string, snapshotter: string): Promise<void> {
  await Promise.all([
    deleteContainerAndSnapshot(runtime.pods.containerd, id, snapshotter),
    ContainerIo.remove(containerIoDir(runtime, id)),
    rm(containerRootDir(runtime, id), { recursive: true, force: true }),
  ]);
}
