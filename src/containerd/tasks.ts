import { CriError, isCriError } from '../errors.js';
import type { Mount } from '../generated/containerd/containerd/types/Mount.js';
import type { PhaseTimer } from '../metrics/phase-timer.js';
import type { ContainerdClient } from './client.js';

export interface TaskIo {
  stdin?: string;
  stdout?: string;
  stderr?: string;
  terminal?: boolean;
}

/**
 * Creates and starts the task of container `id` on its snapshot's mounts;
 * returns the pid. Times task_create and task_start on `phases`.
 * `beforeStart` runs between the two with the created task's pid; its
 * failure deletes the task.
 */
export async function createAndStartTask(
  containerd: ContainerdClient,
  id: string,
  rootfs: Mount[],
  io: TaskIo,
  options: { type_url: string; value: Buffer } | undefined,
  phases: PhaseTimer,
  beforeStart?: (pid: number) => Promise<void>,
): Promise<number> {
  const created = await phases.time('task_create', () =>
    containerd.tasks.Create({
      containerId: id,
      rootfs,
      stdin: io.stdin ?? '',
      stdout: io.stdout ?? '',
      stderr: io.stderr ?? '',
      terminal: io.terminal ?? false,
      ...(options ? { options } : {}),
    }),
  );
  try {
    await beforeStart?.(created.pid);
    const { pid } = await phases.time('task_start', () => containerd.tasks.Start({ containerId: id }));
    return pid;
  } catch (err) {
    await deleteTask(containerd, id).catch(() => undefined);
    throw err;
  }
}

export interface TaskState {
  status: 'running' | 'created' | 'stopped' | 'paused' | 'pausing' | 'unknown';
  pid: number;
  exitStatus: number;
  exitedAtNs: bigint;
}

/** The task's state, or undefined when the container has no task. */
export async function getTask(containerd: ContainerdClient, id: string): Promise<TaskState | undefined> {
  try {
    const { process } = await containerd.tasks.Get({ containerId: id });
    return process ? taskState(process) : undefined;
  } catch (err) {
    if (isCriError(err, 'NotFound')) return undefined;
    throw err;
  }
}

type ProcessRecord = { pid: number; status: string; exitStatus: number; exitedAt: { seconds: string; nanos: number } | null };

function taskState(process: ProcessRecord): TaskState {
  const exitedAt = process.exitedAt;
  return {
    status: (process.status.toLowerCase() as TaskState['status']) ?? 'unknown',
    pid: process.pid,
    exitStatus: process.exitStatus,
    exitedAtNs: exitedAt ? BigInt(exitedAt.seconds) * 1_000_000_000n + BigInt(exitedAt.nanos) : 0n,
  };
}

/**
 * Every task of the namespace by container ID, in one call: what recovery
 * reads, rather than one Get per pod and container. A state containerd
 * reports UNKNOWN (a slow shim) is asked again with getKnownTask.
 */
export async function listTasks(containerd: ContainerdClient): Promise<Map<string, TaskState>> {
  const { tasks } = await containerd.tasks.List({ filter: '' });
  return new Map(tasks.map((process) => [process.containerId || process.id, taskState(process)]));
}

/** A task from a listTasks snapshot, asked again while its state is UNKNOWN; undefined when the container had none. */
export async function knownTaskOf(containerd: ContainerdClient, tasks: ReadonlyMap<string, TaskState>, id: string): Promise<TaskState | undefined> {
  const task = tasks.get(id);
  return task?.status === 'unknown' ? getKnownTask(containerd, id) : task;
}

/**
 * Whether the task's process was started and is not known to have exited.
 * UNKNOWN counts as alive: containerd reports it (with exit status 0) when
 * the shim does not answer its state query within 2 s, as on a loaded node.
 */
export function taskMayRun(task: TaskState | undefined): task is TaskState {
  return task !== undefined && task.status !== 'stopped' && task.status !== 'created';
}

/** getTask, asked again a few times while containerd reports the state UNKNOWN (the shim was slow to answer). */
export async function getKnownTask(containerd: ContainerdClient, id: string, retry = { attempts: 5, delayMs: 1000 }): Promise<TaskState | undefined> {
  let task = await getTask(containerd, id);
  for (let attempt = 1; task?.status === 'unknown' && attempt < retry.attempts; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, retry.delayMs));
    task = await getTask(containerd, id);
  }
  return task;
}

/** Sends `signal` to the task's init process (all its processes with `all`); a task already gone is fine. */
export async function killTask(containerd: ContainerdClient, id: string, signal: number, all = false): Promise<void> {
  try {
    await containerd.tasks.Kill({ containerId: id, signal, all });
  } catch (err) {
    if (isCriError(err, 'NotFound')) return;
    // Killing a process that already exited is reported as "not found" or "process already finished".
    if (isCriError(err, 'FailedPrecondition') && /finished|not running|stopped/i.test((err as Error).message)) return;
    throw err;
  }
}

/** Time the Wait call may take beyond the caller's own timeout, so the local timer, not the gRPC deadline, ends it. */
const WAIT_DEADLINE_SLACK_MS = 30_000;
/** setTimeout's limit: a longer timeout would fire at once, so beyond it only the gRPC deadline applies. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits for a task's process (the init process, or `execId`) to exit;
 * undefined when it has not within `timeoutMs`. The timeout is a local timer
 * that cancels the call: with a gRPC deadline of the same length containerd
 * may notice it first and answer Unknown "context deadline exceeded", which
 * would read as a failure rather than a timeout.
 */
export async function waitProcess(
  containerd: ContainerdClient,
  process: { containerId: string; execId?: string },
  timeoutMs: number,
): Promise<{ exitStatus: number; exitedAtNs: bigint } | undefined> {
  const timeout = new AbortController();
  const timer = timeoutMs <= MAX_TIMER_MS ? setTimeout(() => timeout.abort(), timeoutMs) : undefined;
  try {
    const { exitStatus, exitedAt } = await containerd.tasks.Wait(
      { containerId: process.containerId, execId: process.execId ?? '' },
      { timeoutMs: timeoutMs + WAIT_DEADLINE_SLACK_MS, signal: timeout.signal },
    );
    return { exitStatus, exitedAtNs: exitedAt ? BigInt(exitedAt.seconds) * 1_000_000_000n + BigInt(exitedAt.nanos) : 0n };
  } catch (err) {
    if (timeout.signal.aborted) return undefined;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for the task to exit; returns its exit status, or undefined on timeout. A task already deleted counts as exited. */
export async function waitTask(containerd: ContainerdClient, id: string, timeoutMs: number): Promise<{ exitStatus: number; exitedAtNs: bigint } | undefined> {
  try {
    return await waitProcess(containerd, { containerId: id }, timeoutMs);
  } catch (err) {
    if (isCriError(err, 'NotFound')) return { exitStatus: 0, exitedAtNs: 0n };
    throw err;
  }
}

/** Deletes an exited task (the shim reaps it); absent is fine. */
export async function deleteTask(containerd: ContainerdClient, id: string): Promise<void> {
  try {
    await containerd.tasks.Delete({ containerId: id });
  } catch (err) {
    if (isCriError(err, 'NotFound')) return;
    throw err;
  }
}

/**
 * SIGKILL, wait for the exit, delete: the task is gone afterwards whatever
 * state it was in. `knownRunning` skips asking containerd for its state first.
 */
export async function killAndDeleteTask(containerd: ContainerdClient, id: string, options: { waitMs?: number; knownRunning?: boolean } = {}): Promise<void> {
  const waitMs = options.waitMs ?? 10_000;
  const task = options.knownRunning ? { status: 'running' } : await getTask(containerd, id);
  if (!task) return;
  if (task.status !== 'stopped') {
    await killTask(containerd, id, 9, true);
    const exited = await waitTask(containerd, id, waitMs);
    if (!exited) throw new CriError('DeadlineExceeded', `task ${id} did not exit within ${waitMs} ms of SIGKILL`);
  }
  await deleteTask(containerd, id);
}
