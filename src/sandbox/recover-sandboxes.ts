import { getTask } from '../containerd/tasks.js';
import type { PodRuntime } from './pod-runtime.js';
import { removeSandbox } from './remove-sandbox.js';
import { Sandbox } from './sandbox.js';
import { CriTsLabel, decodeSandboxMetadata, SANDBOX_EXTENSION } from './sandbox-store.js';

/**
 * Rebuilds the pod index from containerd when cri-ts starts: each pod's
 * record gives its metadata, its task tells whether it is still READY. A pod
 * whose RunPodSandbox was cut short by a crash is torn down, since kubelet
 * never learned its ID.
 */
export async function recoverSandboxes(pods: PodRuntime): Promise<{ ready: number; notReady: number; cleanedUp: number }> {
  const { containers } = await pods.containerd.containers.List({ filters: [`labels."${CriTsLabel.kind}"==${CriTsLabel.sandboxKind}`] });
  const counts = { ready: 0, notReady: 0, cleanedUp: 0 };
  for (const record of containers) {
    const log = pods.log.child({ podId: record.id });
    const metadata = decodeSandboxMetadata(record.extensions[SANDBOX_EXTENSION]);
    if (!metadata) {
      log.warn('pod record without cri-ts metadata; leaving it alone');
      continue;
    }
    const task = await getTask(pods.containerd, record.id);
    const running = task?.status === 'running';
    const sandbox = new Sandbox(metadata, running ? 'ready' : 'notready', running ? task.pid : 0);
    pods.store.add(sandbox);
    if (!metadata.complete) {
      log.warn('pod sandbox was half-created when cri-ts stopped; removing it');
      await pods.store.lock.run(sandbox.id, () => removeSandbox(pods, sandbox)).catch((err: unknown) => log.error({ err }, 'could not clean up a half-created pod sandbox'));
      counts.cleanedUp++;
      continue;
    }
    if (running) counts.ready++;
    else counts.notReady++;
  }
  return counts;
}

/** After an event subscription (re)starts, exits it missed are caught by asking containerd. */
export async function reconcileSandboxStates(pods: PodRuntime): Promise<void> {
  for (const sandbox of pods.store.list()) {
    if (sandbox.state !== 'ready') continue;
    const task = await getTask(pods.containerd, sandbox.id).catch(() => undefined);
    if (task?.status !== 'running') {
      sandbox.state = 'notready';
      sandbox.pid = 0;
      pods.log.info({ podId: sandbox.id }, 'pause process is gone; pod sandbox is NOTREADY');
    }
  }
}

/** A pause process exited: its pod is NOTREADY at once. */
export function onSandboxTaskExit(pods: PodRuntime, containerId: string, processId: string): boolean {
  if (containerId !== processId) return false;
  const sandbox = pods.store.find(containerId);
  if (!sandbox || sandbox.id !== containerId) return false;
  if (sandbox.state === 'ready') pods.log.info({ podId: sandbox.id }, 'pause process exited; pod sandbox is NOTREADY');
  sandbox.state = 'notready';
  sandbox.pid = 0;
  return true;
}
