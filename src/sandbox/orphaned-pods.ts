import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { objectIdsIn } from '../host/object-dirs.js';
import { removeNetns, netnsPath } from './netns.js';
import type { PodContext } from './pod-context.js';
import { removeSandboxFiles, sandboxPaths, unmountShm } from './sandbox-files.js';

/**
 * Pods whose RunPodSandbox was cut short (cri-ts killed) before their
 * containerd record was written: only host traces are left, their files,
 * shm, netns and CNI attachments (pending ones included), each found by the
 * pod's ID. RunPodSandbox makes the pod's directory before anything else, so
 * every such pod is found here. Returns how many were cleaned up.
 */
export async function removeOrphanedPods(ctx: PodContext, recorded: ReadonlySet<string>): Promise<number> {
  const { root, state } = ctx.config;
  const ids = new Set([
    ...(await objectIdsIn(join(root, 'pods'))),
    ...(await objectIdsIn(join(state, 'pods'))),
    ...(await ctx.networks.cachedPodIds()),
  ]);
  let removed = 0;
  for (const id of ids) {
    if (recorded.has(id)) continue;
    const paths = sandboxPaths(root, state, id);
    try {
      await ctx.networks.tearDown(id, netnsPath(id));
      await removeNetns(netnsPath(id));
      await unmountShm(paths.shm);
      await removeSandboxFiles(paths);
      await rm(join(state, 'pods', id), { recursive: true, force: true });
      ctx.log.warn({ podId: id }, 'removed what a pod sandbox cut short before its record was written left on the host');
      removed++;
    } catch (err) {
      ctx.log.error({ podId: id, err }, 'could not clean up after a pod sandbox cut short');
    }
  }
  return removed;
}
