import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Container, type ContainerMetadata } from '../../../src/container/container.js';
import { textEnvs } from '../../../src/container/container-env.js';
import type { ContainerContext } from '../../../src/container/container-context.js';
import { CONTAINER_EXTENSION, ContainerStore, decodeContainerMetadata, encodeContainerMetadata } from '../../../src/container/container-store.js';
import { missedContainerExits, recoverContainers } from '../../../src/container/recover-containers.js';
import { CriError } from '../../../src/errors.js';
import type { ContainerdClient } from '../../../src/containerd/client.js';
import type { TaskState } from '../../../src/containerd/tasks.js';
import { createLogger } from '../../../src/log.js';

interface UpdateRequest {
  container: { id: string; extensions: Record<string, { type_url: string; value: Buffer }> };
}

/** A containerd whose Containers.Update records the state each write carries. */
function recordingContainerd(): { client: ContainerdClient; written: Array<{ id: string; state: string }> } {
  const written: Array<{ id: string; state: string }> = [];
  const containers = {
    Update: async (request: UpdateRequest) => {
      const [any] = Object.values(request.container.extensions);
      written.push({ id: request.container.id, state: decodeContainerMetadata(any)?.state ?? '?' });
      return {};
    },
  };
  return { client: { containers } as unknown as ContainerdClient, written };
}

function container(id: string): Container {
  return new Container({
    version: 1,
    id,
    sandboxId: 'pod',
    config: { metadata: { name: id, attempt: 0 } },
    state: 'created',
  } as unknown as ContainerMetadata);
}

/** A store over the recording containerd, holding a container for each ID. */
function storeHolding(...ids: string[]): { store: ContainerStore; containers: Container[]; written: Array<{ id: string; state: string }> } {
  const { client, written } = recordingContainerd();
  const store = new ContainerStore(client, createLogger('silent'));
  const containers = ids.map(container);
  for (const c of containers) store.add(c);
  return { store, containers, written };
}

const settle = (ms = 30): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ContainerStore background writes', () => {
  it('waits until the reply in progress is out, then writes the newest state once', async () => {
    const { store, containers: [c], written } = storeHolding('c1');
    store.persistInBackground(c);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, [], 'no write in the turn that sends the reply');
    c.metadata = { ...c.metadata, state: 'running' };
    store.persistInBackground(c);
    await settle();
    assert.deepEqual(written, [{ id: 'c1', state: 'running' }]);
  });

  it('writes nothing for a container removed before its write was due', async () => {
    const { store, containers: [c], written } = storeHolding('c2');
    store.persistInBackground(c);
    store.delete(c.id);
    await settle();
    assert.deepEqual(written, []);
  });

  it('drops a write still due when the record is being deleted', async () => {
    const { store, containers: [c], written } = storeHolding('c3');
    store.persistInBackground(c);
    store.cancelBackgroundWrite(c.id);
    await settle();
    assert.deepEqual(written, []);
    store.persistInBackground(c);
    await settle();
    assert.equal(written.length, 1, 'a later change is written again');
  });

  it('flush starts the writes still due and waits for them', async () => {
    const { store, containers: [a, b], written } = storeHolding('a', 'b');
    store.persistInBackground(a);
    store.persistInBackground(b);
    await store.flush();
    assert.deepEqual(written.map((w) => w.id).sort(), ['a', 'b']);
    await settle();
    assert.equal(written.length, 2, 'the timers flush replaced write nothing more');
  });
});

/** A record as cri-ts wrote it before cri-api v0.37, when KeyValue.value was a string. */
const OLDER_RECORD = {
  version: 1,
  id: 'old',
  sandboxId: 'pod',
  config: {
    metadata: { name: 'app', attempt: 0 },
    image: { image: 'busybox', annotations: {}, userSpecifiedImage: '', runtimeHandler: '' },
    command: ['sleep', '1000'],
    args: [],
    workingDir: '',
    envs: [{ key: 'GREETING', value: 'grüße' }],
    mounts: [],
    devices: [],
    labels: {},
    annotations: {},
    logPath: '',
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: null,
    windows: null,
    CDIDevices: [],
    stopSignal: 'SIGTERM',
  },
  imageId: 'sha256:1',
  imageName: 'busybox:latest',
  imageRef: 'sha256:1',
  logPath: '',
  snapshotter: 'overlayfs',
  cgroupsPath: '/k8s/old',
  user: { uid: 0, gid: 0, additionalGids: [0] },
  stopSignal: '',
  state: 'exited',
  createdAtNs: '1',
  startedAtNs: '2',
  finishedAtNs: '3',
  exitCode: 0,
  reason: 'Completed',
  message: '',
};

describe('the container record in containerd', () => {
  it('holds env values as text, not serialized Buffers', () => {
    const config = { ...OLDER_RECORD.config, envs: textEnvs([{ key: 'GREETING', value: Buffer.from('grüße') }]) };
    const any = encodeContainerMetadata({ ...OLDER_RECORD, config } as unknown as ContainerMetadata);
    const json = any.value.toString('utf8');
    assert.doesNotMatch(json, /"type":"Buffer"/);
    assert.deepEqual(decodeContainerMetadata(any)?.config.envs, [{ key: 'GREETING', value: 'grüße' }]);
  });

  it('still decodes a record written before cri-api v0.37', () => {
    const any = { type_url: 'cri-ts.io/container-metadata/v1', value: Buffer.from(JSON.stringify(OLDER_RECORD)) };
    const metadata = decodeContainerMetadata(any);
    assert.equal(metadata?.id, 'old');
    assert.deepEqual(metadata?.config.envs, [{ key: 'GREETING', value: 'grüße' }]);
  });

  it('recovers an exited container from a record written before cri-api v0.37', async () => {
    const record = { id: 'old', extensions: { [CONTAINER_EXTENSION]: { type_url: 'cri-ts.io/container-metadata/v1', value: Buffer.from(JSON.stringify(OLDER_RECORD)) } } };
    const containerd = { containers: { List: async () => ({ containers: [record] }) }, tasks: { List: async () => ({ tasks: [] }) } } as unknown as ContainerdClient;
    const store = new ContainerStore(containerd, createLogger('silent'));
    const dir = await mkdtemp(join(tmpdir(), 'crits-recover-'));
    const ctx = { containerd, store, log: createLogger('silent'), config: { root: join(dir, 'root'), state: join(dir, 'state') } } as unknown as ContainerContext;
    // A creation cut short before its record was written left a FIFO directory: recovery removes it.
    const orphan = join(dir, 'state', 'containers', 'a'.repeat(64));
    await mkdir(orphan, { recursive: true });
    assert.deepEqual(await recoverContainers(ctx), { running: 0, exited: 1, created: 0, cleanedUp: 0, orphansRemoved: 1 });
    await assert.rejects(stat(orphan), /ENOENT/);
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(store.get('old').metadata.config.envs, [{ key: 'GREETING', value: 'grüße' }]);
  });
});

describe('exits missed while the event subscription was down', () => {
  const runningIn = (get: () => Promise<unknown>) => {
    const { store, containers } = storeHolding('c1');
    containers[0]!.metadata = { ...containers[0]!.metadata, state: 'running' };
    const ctx = { containerd: { tasks: { Get: get } }, store, log: createLogger('silent') } as unknown as ContainerContext;
    return ctx;
  };

  const noTasks = new Map<string, TaskState>();

  it('are not made up when containerd cannot read the task state in time (UNKNOWN) or the call fails', async () => {
    const unknown = runningIn(async () => ({ process: { status: 'UNKNOWN', pid: 0, exitStatus: 0, exitedAt: null } }));
    assert.deepEqual(await missedContainerExits(unknown, noTasks), []);
    const failing = runningIn(async () => {
      throw new CriError('DeadlineExceeded', 'containerd Tasks/Get: deadline exceeded');
    });
    assert.deepEqual(await missedContainerExits(failing, noTasks), []);
  });

  it('are the stopped tasks, with their exit status, and the tasks that are gone', async () => {
    const stopped = runningIn(async () => ({ process: { status: 'STOPPED', pid: 0, exitStatus: 3, exitedAt: { seconds: '5', nanos: 0 } } }));
    assert.deepEqual((await missedContainerExits(stopped, noTasks)).map((m) => m.exit.exitStatus), [3]);
    const gone = runningIn(async () => {
      throw new CriError('NotFound', 'no such task');
    });
    assert.deepEqual((await missedContainerExits(gone, noTasks)).map((m) => m.exit.exitStatus), [255]);
  });

  it('are not looked for one by one when the snapshot shows the task running', async () => {
    let gets = 0;
    const ctx = runningIn(async () => {
      gets++;
      throw new CriError('NotFound', 'no such task');
    });
    const running = new Map<string, TaskState>([['c1', { status: 'running', pid: 42, exitStatus: 0, exitedAtNs: 0n }]]);
    assert.deepEqual(await missedContainerExits(ctx, running), []);
    assert.equal(gets, 0);
  });

  it('are confirmed one by one when the snapshot misses the task: a start may have finished after it', async () => {
    const ctx = runningIn(async () => ({ process: { status: 'RUNNING', pid: 42, exitStatus: 0, exitedAt: null } }));
    assert.deepEqual(await missedContainerExits(ctx, noTasks), []);
  });
});
