/**
 * Pods for the benchmarks: each a pause sandbox plus one busybox container
 * (`sleep`, with CPU and memory limits) under a cgroup parent of the bench's
 * own, as kubelet runs them, so per-pod stats have a pod cgroup to read.
 */
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hostCgroupLayout } from '../../src/host/cgroup-layout.js';
import type { CriRuntime } from '../harness/cri-client.js';
import { BUSYBOX_IMAGE } from '../harness/offline-images.js';

export interface BenchPod {
  podSandboxId: string;
  containerId: string;
}

export interface BenchPodOptions {
  /** Pod names are `${prefix}-${i}`, uids unique to this process. */
  prefix: string;
  namespace: string;
  logDir: string;
  /** cgroup parent of every pod (one `pod${i}` below it). */
  cgroupRoot: string;
  /** Pods started at once. */
  concurrency?: number;
  /** Told every 20 pods. */
  progress?: (running: number) => void;
}

/** Runs `work` over `items`, `limit` at a time. */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

/** Starts pods `first` .. `first + count - 1` and their containers. */
export async function runBenchPods(runtime: CriRuntime, first: number, count: number, options: BenchPodOptions): Promise<BenchPod[]> {
  const pods: BenchPod[] = [];
  const indexes = Array.from({ length: count }, (_, i) => first + i);
  await eachLimited(indexes, options.concurrency ?? 4, async (i) => {
    const podConfig = {
      metadata: { name: `${options.prefix}-${i}`, namespace: options.namespace, uid: `${options.prefix}-${process.pid}-${i}`, attempt: 0 },
      logDirectory: options.logDir,
      labels: { 'cri-ts.bench': options.prefix },
      linux: { cgroupParent: `${options.cgroupRoot}/pod${i}` },
    };
    const { podSandboxId } = await runtime.RunPodSandbox({ config: podConfig });
    const { containerId } = await runtime.CreateContainer({
      podSandboxId,
      config: {
        metadata: { name: 'sleeper' },
        image: { image: BUSYBOX_IMAGE },
        command: ['sleep', '36000'],
        logPath: `sleeper-${i}.log`,
        linux: { resources: { cpuPeriod: 100000, cpuQuota: 20000, cpuShares: 256, memoryLimitInBytes: 64 * 1024 * 1024 } },
      },
      sandboxConfig: podConfig,
    });
    await runtime.StartContainer({ containerId });
    pods.push({ podSandboxId, containerId });
    if (pods.length % 20 === 0) options.progress?.(pods.length);
  });
  return pods;
}

/** Stops and removes pods (their containers go with them); errors are left to the caller's cleanup. */
export async function removeBenchPods(runtime: CriRuntime, podIds: readonly string[], concurrency = 4): Promise<void> {
  await eachLimited(podIds, concurrency, async (podSandboxId) => {
    await runtime.StopPodSandbox({ podSandboxId }).catch(() => undefined);
    await runtime.RemovePodSandbox({ podSandboxId }).catch(() => undefined);
  });
}

/** runc made the cgroup parent in every hierarchy (cpuset, devices, freezer, ... too): rmdir what is left, leaves first. */
export async function removeCgroupTree(root: string): Promise<void> {
  const top = '/sys/fs/cgroup';
  const hierarchies =
    (await hostCgroupLayout()).version === 2
      ? [top]
      : (await readdir(top, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(top, e.name));
  for (const hierarchy of hierarchies) {
    const dir = join(hierarchy, root);
    const pods = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const pod of pods) if (pod.isDirectory()) await rmdir(join(dir, pod.name)).catch(() => undefined);
    await rmdir(dir).catch(() => undefined);
  }
}
