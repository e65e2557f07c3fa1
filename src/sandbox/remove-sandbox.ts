import { removeLeftoverCgroup } from '../host/cgroup-removal.js';
import { deleteContainerAndSnapshot } from '../records/container-records.js';
import type { PodContext } from './pod-context.js';
import type { Sandbox } from './sandbox.js';
import { removeSandboxFiles } from './sandbox-files.js';
import { stopSandbox } from './stop-sandbox.js';

/**
 * RemovePodSandbox's work on a locked pod: a pod still running is stopped
 * first (kubelet expects that), then its containers, the pause container
 * record, its snapshot, its files and any cgroup runc left go.
 */
export async function removeSandbox(ctx: PodContext, sandbox: Sandbox): Promise<void> {
  if (!sandbox.metadata.stopped || sandbox.state === 'ready') await stopSandbox(ctx, sandbox);
  await ctx.containers.removeContainersOf(sandbox.id);
  await deleteContainerAndSnapshot(ctx.containerd, sandbox.id, sandbox.metadata.snapshotter);
  await Promise.all([removeSandboxFiles(sandbox.paths), removeLeftoverCgroup(sandbox.metadata.cgroupsPath, sandbox.id)]);
  ctx.store.delete(sandbox.id);
  await ctx.nri.removePodSandbox(sandbox);
  ctx.log.info({ podId: sandbox.id }, 'pod sandbox removed');
}
