import { killAndDeleteTask } from '../containerd/tasks.js';
import { removeNetns } from './netns.js';
import type { PodContext } from './pod-context.js';
import type { Sandbox } from './sandbox.js';
import { unmountShm } from './sandbox-files.js';

/**
 * StopPodSandbox's work on a pod already looked up and locked: its
 * containers stopped, the pause task gone, CNI DEL, the netns and shm
 * removed. Every step tolerates having been done before, so a stop that was
 * interrupted, or a pod whose pause process died, stops cleanly.
 */
export async function stopSandbox(ctx: PodContext, sandbox: Sandbox): Promise<void> {
  const log = ctx.log.child({ podId: sandbox.id });
  const { metadata } = sandbox;
  await ctx.containers.stopContainersOf(sandbox.id);
  // A READY pod's pause task runs (its exit would have made the pod NOTREADY), so containerd need not be asked.
  await killAndDeleteTask(ctx.containerd, sandbox.id, { knownRunning: sandbox.state === 'ready' && sandbox.pid > 0 });
  sandbox.state = 'notready';
  sandbox.pid = 0;
  if (!metadata.stopped) {
    // Plugins hear of it once, while the pod's network is still there.
    await ctx.nri.stopPodSandbox(sandbox);
    if (!metadata.hostNetwork) {
      await ctx.networks.tearDown(sandbox.id, metadata.netnsPath);
      await removeNetns(metadata.netnsPath);
    }
    await unmountShm(sandbox.paths.shm);
    sandbox.metadata = { ...metadata, stopped: true };
    await ctx.store.persist(sandbox);
    log.info('pod sandbox stopped');
  }
}
