import { getTask, knownTaskOf, listTasks, type TaskState, taskMayRun } from '../containerd/tasks.js';
import { CriTsLabel } from '../records/labels.js';
import type { PodContext } from './pod-context.js';
import { Sandbox } from './sandbox.js';
import { sandboxPaths } from './sandbox-files.js';
import { decodeSandboxMetadata, SANDBOX_EXTENSION } from './sandbox-store.js';

export interface RecoveredSandboxes {
  ready: number;
  notReady: number;
  /** Pods whose RunPodSandbox was cut short (kubelet never learned their IDs): indexed, to be removed. */
  halfCreated: Sandbox[];
  /** Every pod with a containerd record: host traces of any other pod are a cut-short creation's. */
  recorded: Set<string>;
}

/** What recovery reads from containerd: every pod record, and every task's state. */
export interface PodRecoverySnapshot {
  records: Awaited<ReturnType<PodContext['containerd']['containers']['List']>>['containers'];
  tasks: ReadonlyMap<string, TaskState>;
}

/** Two calls whatever the number of pods: their records, and every task's state (a snapshot the containers' recovery may share). */
export async function readPodRecoverySnapshot(
  ctx: PodContext,
  taskSnapshot: Promise<ReadonlyMap<string, TaskState>> = listTasks(ctx.containerd),
): Promise<PodRecoverySnapshot> {
  const [{ containers }, tasks] = await Promise.all([
    ctx.containerd.containers.List({ filters: [`labels."${CriTsLabel.kind}"==${CriTsLabel.sandboxKind}`] }),
    taskSnapshot,
  ]);
  return { records: containers, tasks };
}

/**
 * Rebuilds the pod index from containerd when cri-ts starts: each pod's
 * record gives its metadata, its task tells whether it is still READY.
 */
export async function recoverSandboxes(ctx: PodContext, snapshot: Promise<PodRecoverySnapshot>): Promise<RecoveredSandboxes> {
  const { records: containers, tasks } = await snapshot;
  const recovered: RecoveredSandboxes = { ready: 0, notReady: 0, halfCreated: [], recorded: new Set(containers.map((c) => c.id)) };
  for (const record of containers) {
    const metadata = decodeSandboxMetadata(record.extensions[SANDBOX_EXTENSION]);
    if (!metadata) {
      ctx.log.warn({ podId: record.id }, 'pod record without cri-ts metadata; leaving it alone');
      continue;
    }
    const task = await knownTaskOf(ctx.containerd, tasks, record.id);
    const running = taskMayRun(task);
    const sandbox = new Sandbox(metadata, sandboxPaths(ctx.config.root, ctx.config.state, metadata.id), running ? 'ready' : 'notready', running ? task.pid : 0);
    ctx.store.add(sandbox);
    if (!metadata.complete) recovered.halfCreated.push(sandbox);
    else if (running) recovered.ready++;
    else recovered.notReady++;
  }
  return recovered;
}

/**
 * Pod records no call knows of: a RunPodSandbox whose undo could not delete
 * its record (containerd went away meanwhile) and already gave up its name.
 * Found after containerd comes back, to be removed like a half-created pod.
 */
export async function leftoverSandboxRecords(ctx: PodContext): Promise<Sandbox[]> {
  const { containers } = await ctx.containerd.containers.List({ filters: [`labels."${CriTsLabel.kind}"==${CriTsLabel.sandboxKind}`] });
  const leftovers: Sandbox[] = [];
  for (const record of containers) {
    if (ctx.store.isKnown(record.id)) continue;
    const metadata = decodeSandboxMetadata(record.extensions[SANDBOX_EXTENSION]);
    if (metadata) leftovers.push(new Sandbox(metadata, sandboxPaths(ctx.config.root, ctx.config.state, metadata.id), 'notready', 0));
  }
  return leftovers;
}

/**
 * After an event subscription (re)starts, exits it missed are caught from one
 * snapshot of every task; a pod it does not show running is asked again on
 * its own (its start may have finished after the snapshot).
 */
export async function reconcileSandboxStates(ctx: PodContext, tasks: ReadonlyMap<string, TaskState>): Promise<void> {
  for (const sandbox of ctx.store.list()) {
    if (sandbox.state !== 'ready' || taskMayRun(tasks.get(sandbox.id))) continue;
    let task;
    try {
      task = await getTask(ctx.containerd, sandbox.id);
    } catch (err) {
      // Not knowing is not an exit: the next reconciliation or the exit event settles it.
      ctx.log.warn({ podId: sandbox.id, err }, 'could not read the pause task state; leaving the pod READY');
      continue;
    }
    if (!taskMayRun(task)) {
      sandbox.state = 'notready';
      sandbox.pid = 0;
      ctx.log.info({ podId: sandbox.id }, 'pause process is gone; pod sandbox is NOTREADY');
    }
  }
}

/** A pause process exited: its pod is NOTREADY at once. Returns whether the task was a pod's. */
export function onSandboxTaskExit(ctx: PodContext, containerId: string, processId: string): boolean {
  if (containerId !== processId) return false;
  const sandbox = ctx.store.find(containerId);
  if (!sandbox || sandbox.id !== containerId) return false;
  if (sandbox.state === 'ready') ctx.log.info({ podId: sandbox.id }, 'pause process exited; pod sandbox is NOTREADY');
  sandbox.state = 'notready';
  sandbox.pid = 0;
  return true;
}
