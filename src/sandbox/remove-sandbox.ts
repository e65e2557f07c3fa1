import { deleteContainerAndSnapshot } from '../containerd/container-records.js';
import type { PodRuntime } from './pod-runtime.js';
import type { Sandbox } from './sandbox.js';
import { removeSandboxFiles, sandboxPaths } from './sandbox-files.js';
import { stopSandbox } from './stop-sandbox.js';

/**
 * RemovePodSandbox's work on a locked pod: a pod still running is stopped
 * first (kubelet expects that), then its containers, the pause container
 * record, its snapshot and its files go.
 */
export async function removeSandbox(pods: PodRuntime, sandbox: Sandbox): Promise<void> {
  if (!sandbox.metadata.stopped || sandbox.state === 'ready') await stopSandbox(pods, sandbox);
  await pods.containers.removeContainersOf(sandbox.id);
  await deleteContainerAndSnapshot(pods.containerd, sandbox.id, sandbox.metadata.snapshotter);
  await removeSandboxFiles(sandboxPaths(pods.config.root, pods.config.state, sandbox.id));
  pods.store.delete(sandbox.id);
  pods.log.info({ podId: sandbox.id }, 'pod sandbox removed');
}
