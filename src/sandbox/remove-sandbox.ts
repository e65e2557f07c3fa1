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
  // The recorded config was checked when the pod ran: read as it is, not checked again.
  if (sandbox.metadata.config.linux?.securityContext?.namespaceOptions?.usernsOptions?.mode === 'POD') collectImageCopies(ctx, sandbox.id);
  await ctx.nri.removePodSandbox(sandbox);
  ctx.log.info({ podId: sandbox.id }, 'pod sandbox removed');
}

/**
 * A pod of its own user namespace ran on copies of its images owned by its IDs
 * (one per image and mapping, whole image trees): nothing holds them once the
 * pod is gone, and containerd is asked to collect them now, off the caller's path.
 */
function collectImageCopies(ctx: PodContext, podId: string): void {
  ctx.containerd.temporaryLeases.collectGarbage().catch((err: unknown) => ctx.log.warn({ podId, err }, "could not have containerd collect the pod's image copies now; it does at its own pace"));
}
