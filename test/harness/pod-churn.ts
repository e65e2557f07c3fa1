import { setTimeout as sleep } from 'node:timers/promises';
import { criClient, grpcCode } from './cri-client.js';

type CriClient = ReturnType<typeof criClient>;

/** What the calls of one pod+container cycle reported, as kubelet would know it. */
export interface CycleRecord {
  readonly name: string;
  podId?: string;
  containerId?: string;
  /** The call in flight now (its step name), if any. */
  inFlight?: string;
  /** Steps that were attempted (a removal attempted may have happened even if its answer was lost). */
  readonly attempted: Set<string>;
  /** Steps whose call succeeded. */
  readonly done: Set<string>;
  /** Failures that were retried, e.g. "RunPodSandbox: UNAVAILABLE". */
  readonly retried: string[];
}

export interface ChurnOptions {
  /** A client to cri-ts's current socket; asked again after each failure (cri-ts may have restarted). */
  client: () => CriClient;
  image: string;
  logDirectory: string;
  /** linux.cgroup_parent of every pod (cgroupfs), so the test can find their cgroups. */
  cgroupParent: string;
  /** Pod names are `${prefix}-${index}`; uids follow. */
  prefix: string;
  /** How long a step keeps being retried before the cycle fails. */
  retryForMs?: number;
  /** Awaited before every call: a test closes it while it restarts what it killed. */
  gate?: () => Promise<void>;
  /** Called after every successful call (a test may time its fault on the count). */
  onCall?: () => void;
}

/** Errors a kubelet retries: the runtime or containerd was away, or the call was cut short. */
const RETRYABLE = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL', 'UNKNOWN', 'CANCELLED', 'none']);

export function newCycleRecord(name: string): CycleRecord {
  return { name, attempted: new Set(), done: new Set(), retried: [] };
}

/**
 * One kubelet-style pod cycle: run the pod, create, start, stop and remove a
 * container, stop and remove the pod. Each step is retried as kubelet would
 * after a failure that may be transient; a creation whose answer was lost is
 * found again by name (AlreadyExists, then List), as kubelet finds it.
 */
export async function runCycle(options: ChurnOptions, record: CycleRecord): Promise<void> {
  const retryForMs = options.retryForMs ?? 90_000;
  const step = async <T>(name: string, call: (cri: CriClient) => Promise<T>, recover?: (err: unknown, cri: CriClient) => Promise<T | undefined>): Promise<T> => {
    const until = Date.now() + retryForMs;
    for (;;) {
      await options.gate?.();
      const cri = options.client();
      record.inFlight = name;
      record.attempted.add(name);
      try {
        const result = await call(cri);
        record.done.add(name);
        options.onCall?.();
        return result;
      } catch (err) {
        const recovered = recover ? await recover(err, cri).catch(() => undefined) : undefined;
        if (recovered !== undefined) {
          record.done.add(name);
          return recovered;
        }
        const code = grpcCode(err);
        if (!RETRYABLE.has(code) || Date.now() > until) throw new Error(`${record.name}: ${name} failed: ${code} ${(err as Error).message}`, { cause: err });
        record.retried.push(`${name}: ${code}`);
        await sleep(200 + Math.floor(Math.random() * 300));
      } finally {
        record.inFlight = undefined;
      }
    }
  };
  const metadata = { name: record.name, namespace: 'churn', uid: `${record.name}-uid`, attempt: 0 };
  const podConfig = { metadata, logDirectory: options.logDirectory, linux: { cgroupParent: options.cgroupParent } };
  const gone = (err: unknown): true | undefined => (grpcCode(err) === 'NOT_FOUND' ? true : undefined);

  record.podId = await step(
    'RunPodSandbox',
    async (cri) => (await cri.runtime.RunPodSandbox({ config: podConfig })).podSandboxId,
    async (err, cri) => {
      if (grpcCode(err) !== 'ALREADY_EXISTS') return undefined;
      // The pod was made but the answer lost: kubelet finds it by its metadata.
      const { items } = await cri.runtime.ListPodSandbox({ filter: { labelSelector: {} } });
      return items.find((p) => p.metadata?.name === metadata.name && p.metadata.namespace === metadata.namespace)?.id;
    },
  );
  const podId = record.podId;
  const containerConfig = { metadata: { name: 'c', attempt: 0 }, image: { image: options.image }, command: ['sleep', '3600'], logPath: `${record.name}.log`, linux: {} };
  record.containerId = await step(
    'CreateContainer',
    async (cri) => (await cri.runtime.CreateContainer({ podSandboxId: podId, config: containerConfig, sandboxConfig: podConfig })).containerId,
    async (err, cri) => {
      if (grpcCode(err) !== 'ALREADY_EXISTS') return undefined;
      const { containers } = await cri.runtime.ListContainers({ filter: { podSandboxId: podId, labelSelector: {} } });
      return containers.find((c) => c.metadata?.name === 'c')?.id;
    },
  );
  const containerId = record.containerId;
  const ok = true as const;
  await step(
    'StartContainer',
    async (cri) => (await cri.runtime.StartContainer({ containerId }), ok),
    // Started, but the answer was lost: it is RUNNING (or has run) already.
    async (_err, cri) => {
      const state = (await cri.runtime.ContainerStatus({ containerId })).status?.state;
      return state === 'CONTAINER_RUNNING' || state === 'CONTAINER_EXITED' ? ok : undefined;
    },
  );
  await step('StopContainer', async (cri) => (await cri.runtime.StopContainer({ containerId, timeout: 0 }), ok));
  // Removed, but the answer was lost.
  await step('RemoveContainer', async (cri) => (await cri.runtime.RemoveContainer({ containerId }), ok), async (err) => gone(err));
  await step('StopPodSandbox', async (cri) => (await cri.runtime.StopPodSandbox({ podSandboxId: podId }), ok));
  await step('RemovePodSandbox', async (cri) => (await cri.runtime.RemovePodSandbox({ podSandboxId: podId }), ok), async (err) => gone(err));
}

/** A gate the churn waits at: closed while a test restarts what it killed. */
export class Gate {
  private opened: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  close(): void {
    if (this.release) return;
    this.opened = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  open(): void {
    this.release?.();
    this.release = undefined;
  }

  wait = (): Promise<void> => this.opened;
}

/** A small seeded generator (mulberry32): a failing run is replayed with its logged seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
