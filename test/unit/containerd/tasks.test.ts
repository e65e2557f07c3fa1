import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallOptions } from '../../../src/containerd/connection.js';
import type { ContainerdClient } from '../../../src/containerd/client.js';
import { createAndStartTask, getKnownTask, knownTaskOf, listTasks, type TaskState, taskMayRun, waitProcess, waitTask } from '../../../src/containerd/tasks.js';
import { PhaseTimer } from '../../../src/metrics/phase-timer.js';
import { CriError } from '../../../src/errors.js';

/**
 * A containerd whose Wait never sees an exit: like the real one, it answers
 * Unknown "context deadline exceeded" when the call's deadline passes, and
 * the call ends as cancelled when the client gives up first.
 */
function neverExitingContainerd(): ContainerdClient {
  const tasks = {
    Wait: (_request: unknown, options?: CallOptions) =>
      new Promise((_resolve, reject) => {
        const timer = setTimeout(() => reject(new CriError('Internal', 'containerd Wait: context deadline exceeded: unknown')), options?.timeoutMs ?? 0);
        options?.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new CriError('Internal', 'containerd Wait: Cancelled on client'));
        });
      }),
  };
  return { tasks } as unknown as ContainerdClient;
}

describe('waiting for a task', () => {
  it('reads a timeout as "not exited yet", even where containerd answers the deadline itself', async () => {
    const started = Date.now();
    assert.equal(await waitProcess(neverExitingContainerd(), { containerId: 'c1' }, 50), undefined);
    assert.ok(Date.now() - started < 5000);
    assert.equal(await waitTask(neverExitingContainerd(), 'c1', 50), undefined);
  });

  it('waits past the timer limit when asked to wait a year', async () => {
    let resolveWait!: (value: unknown) => void;
    const containerd = { tasks: { Wait: () => new Promise((resolve) => (resolveWait = resolve)) } } as unknown as ContainerdClient;
    const waiting = waitProcess(containerd, { containerId: 'c1' }, 365 * 24 * 3600 * 1000);
    const early = await Promise.race([waiting.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 50))]);
    assert.equal(early, 'pending');
    resolveWait({ exitStatus: 0, exitedAt: { seconds: 1, nanos: 0 } });
    assert.deepEqual(await waiting, { exitStatus: 0, exitedAtNs: 1_000_000_000n });
  });

  it('returns the exit status and time', async () => {
    const containerd = { tasks: { Wait: async () => ({ exitStatus: 3, exitedAt: { seconds: 2, nanos: 5 } }) } } as unknown as ContainerdClient;
    assert.deepEqual(await waitProcess(containerd, { containerId: 'c1', execId: 'e1' }, 50), { exitStatus: 3, exitedAtNs: 2_000_000_005n });
  });

  it('takes a task that is already gone as exited, and passes other failures on', async () => {
    const gone = { tasks: { Wait: async () => Promise.reject(new CriError('NotFound', 'no task')) } } as unknown as ContainerdClient;
    assert.deepEqual(await waitTask(gone, 'c1', 50), { exitStatus: 0, exitedAtNs: 0n });
    const broken = { tasks: { Wait: async () => Promise.reject(new CriError('Unavailable', 'containerd is down')) } } as unknown as ContainerdClient;
    await assert.rejects(waitTask(broken, 'c1', 50), /containerd is down/);
  });
});

/** A containerd whose Tasks.Get answers the given states in turn (the last one from then on), as a slow shim makes it. */
function containerdReporting(...statuses: string[]): { containerd: ContainerdClient; calls: () => number } {
  let calls = 0;
  const Get = async () => {
    const status = statuses[Math.min(calls++, statuses.length - 1)]!;
    return { process: { status, pid: status === 'UNKNOWN' ? 0 : 4242, exitStatus: 0, exitedAt: null } };
  };
  return { containerd: { tasks: { Get } } as unknown as ContainerdClient, calls: () => calls };
}

describe('reading a task state containerd could not read in time', () => {
  it('asks again while the state is UNKNOWN, and returns the state once it is known', async () => {
    const { containerd, calls } = containerdReporting('UNKNOWN', 'UNKNOWN', 'RUNNING');
    const task = await getKnownTask(containerd, 'c1', { attempts: 5, delayMs: 1 });
    assert.equal(task?.status, 'running');
    assert.equal(task?.pid, 4242);
    assert.equal(calls(), 3);
  });

  it('gives up after its attempts, still UNKNOWN, which counts as a process that may run (not an exit with status 0)', async () => {
    const { containerd, calls } = containerdReporting('UNKNOWN');
    const task = await getKnownTask(containerd, 'c1', { attempts: 3, delayMs: 1 });
    assert.equal(task?.status, 'unknown');
    assert.equal(calls(), 3);
    assert.equal(taskMayRun(task), true);
  });

  it('reads every task in one List call, and asks again only for one listed UNKNOWN', async () => {
    let lists = 0;
    let gets = 0;
    const containerd = {
      tasks: {
        List: async () => {
          lists++;
          return {
            tasks: [
              { id: 'a', containerId: '', pid: 10, status: 'RUNNING', exitStatus: 0, exitedAt: null },
              { id: 'b', containerId: 'b', pid: 0, status: 'STOPPED', exitStatus: 3, exitedAt: { seconds: '2', nanos: 5 } },
              { id: 'c', containerId: 'c', pid: 0, status: 'UNKNOWN', exitStatus: 0, exitedAt: null },
            ],
          };
        },
        Get: async () => {
          gets++;
          return { process: { status: 'RUNNING', pid: 30, exitStatus: 0, exitedAt: null } };
        },
      },
    } as unknown as ContainerdClient;
    const tasks = await listTasks(containerd);
    assert.equal((await knownTaskOf(containerd, tasks, 'a'))?.pid, 10);
    assert.deepEqual(await knownTaskOf(containerd, tasks, 'b'), { status: 'stopped', pid: 0, exitStatus: 3, exitedAtNs: 2_000_000_005n });
    assert.equal(await knownTaskOf(containerd, tasks, 'none'), undefined, 'a container without a task');
    assert.equal(gets, 0);
    assert.equal((await knownTaskOf(containerd, tasks, 'c'))?.pid, 30, 'UNKNOWN is asked again');
    assert.equal(gets, 1);
    assert.equal(lists, 1);
  });

  it('counts only a started task not known to have stopped as one that may run', () => {
    const state = (status: TaskState['status']): TaskState => ({ status, pid: 1, exitStatus: 0, exitedAtNs: 0n });
    assert.deepEqual(
      (['running', 'paused', 'pausing', 'unknown', 'created', 'stopped'] as const).map((s) => taskMayRun(state(s))),
      [true, true, true, true, false, false],
    );
    assert.equal(taskMayRun(undefined), false);
  });
});

describe('creating and starting a task', () => {
  it('times task_create and task_start as phases of the caller', async () => {
    const containerd = {
      tasks: {
        Create: () => new Promise((resolve) => setTimeout(() => resolve({}), 20)),
        Start: () => new Promise((resolve) => setTimeout(() => resolve({ pid: 42 }), 5)),
      },
    } as unknown as ContainerdClient;
    const phases = new PhaseTimer();
    assert.equal(await createAndStartTask(containerd, 'c1', [], {}, undefined, phases), 42);
    const timings = phases.finish();
    assert.deepEqual(
      timings.map((t) => t.phase),
      ['task_create', 'task_start', 'total'],
    );
    assert.ok(timings[0]!.durationMs >= 15, `task_create took ${timings[0]!.durationMs} ms`);
    assert.ok(timings[1]!.startMs >= timings[0]!.startMs + timings[0]!.durationMs - 0.01, 'the start follows the create');
  });

  it('records no task_start for a start that failed, and deletes the task', async () => {
    const deleted: string[] = [];
    const containerd = {
      tasks: {
        Create: async () => ({}),
        Start: async () => {
          throw new CriError('Internal', 'runc start failed');
        },
        Delete: async (request: { containerId: string }) => void deleted.push(request.containerId),
      },
    } as unknown as ContainerdClient;
    const phases = new PhaseTimer();
    await assert.rejects(createAndStartTask(containerd, 'c1', [], {}, undefined, phases), /runc start failed/);
    assert.deepEqual(
      phases.finish().map((t) => t.phase),
      ['task_create', 'total'],
    );
    assert.deepEqual(deleted, ['c1']);
  });
});
