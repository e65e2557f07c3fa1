import { killAndDeleteTask } from '../containerd/tasks.js';
import { allStepsSettled } from '../undo-stack.js';
import { removeNetns } from './netns.js';
import type { PodContext } from './pod-context.js';
import type { Sandbox } from './sandbox.js';
import { unmountShm } from './sandbox-files.js';

/**
 * StopPodSandbox's work on a pod already looked up and locked: its
 * containers stopped, the pause task gone, CNI DEL, the netns and shm
 * removed. Every step tolerates having been done before, so a stop that was
 * interrupted, or a pod whose pause process died, stops cleanly.
 *
 * Once the containers are stopped, the pause task and the network do not
 * depend on each other (CNI DEL works on the pinned netns, with or without a
 * process in it), so they go at once. containerd's CRI stops the pause task
 * first and tells NRI plugins in between; with NRI on, cri-ts keeps that
 * order, as plugins are promised the network is still there.
 */
export async function stopSandbox(ctx: PodContext, sandbox: Sandbox): Promise<void> {
  const log = ctx.log.child({ podId: sandbox.id });
  const { metadata } = sandbox;
  await ctx.containers.stopContainersOf(sandbox.id);
  // A READY pod's pause task runs (its exit would have made the pod NOTREADY), so containerd need not be asked.
  const pauseGone = killAndDeleteTask(ctx.containerd, sandbox.id, { knownRunning: sandbox.state === 'ready' && sandbox.pid > 0 }).then(() => {
    sandbox.state = 'notready';
    sandbox.pid = 0;
  });
  if (metadata.stopped) {
    await pauseGone;
    return;
  }
  const releaseNetwork = async (): Promise<void> => {
    // Plugins hear of it once, while the pod's network is still there.
    if (ctx.nri.enabled) {
      await pauseGone;
      await ctx.nri.stopPodSandbox(sandbox);
    }
    if (!metadata.hostNetwork) {
      await ctx.networks.tearDown(sandbox.id, metadata.netnsPath);
      await removeNetns(metadata.netnsPath);
    }
  };
  await allStepsSettled([pauseGone, releaseNetwork(), unmountShm(sandbox.paths.shm)]);
  sandbox.metadata = { ...metadata, stopped: true };
  await ctx.store.persist(sandbox);
  log.info('pod sandbox stopped');
}
