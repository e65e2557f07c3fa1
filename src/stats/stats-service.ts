import type { Container } from '../container/container.js';
import type { ContainerdClient } from '../containerd/client.js';
import type { SnapshotterUsageMeter } from '../image/snapshotter-usage.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { hostCgroupLayout } from './cgroup-layout.js';
import { type CgroupStats, readCgroupStats } from './cgroup-stats.js';
import { CpuRateTracker } from './cpu-rate.js';
import { type NetworkStats, readNetworkStats } from './network-stats.js';
import { podCgroupPath } from './pod-cgroup.js';
import { type LayerUsage, WritableLayerUsage } from './writable-layer-usage.js';

/** One cgroup's figures, with the CPU rate since the last reading of the same cgroup. */
export interface CgroupReading {
  stats: CgroupStats;
  usageNanoCores: bigint;
}

export interface ContainerReading {
  container: Container;
  /** Only for a running container whose cgroup could be read. */
  cgroup?: CgroupReading;
  writableLayer?: LayerUsage & { mountpoint: string };
}

export interface PodReading {
  sandbox: Sandbox;
  /** The pod's cgroup (its parent, or the pause container's) while the pod is ready. */
  cgroup?: CgroupReading;
  /** The pod netns's interfaces while the pod is ready and not on the host network. */
  network?: NetworkStats;
  containers: ContainerReading[];
}

export interface StatsDependencies {
  containerd: ContainerdClient;
  /** How long a writable layer's measured usage is reused. */
  collectPeriodMs: number;
  containers: { ofPod(podId: string): Container[] };
  /** The image filesystem, whose mountpoint writable layers share. */
  imageFs: Pick<SnapshotterUsageMeter, 'mountpoint'>;
}

/**
 * Figures of pods and containers for the stats calls: cgroup files read at
 * call time (a few small files each), writable layers from a cache refreshed
 * in the background, CPU rates from the previous reading.
 */
export class StatsService {
  private readonly cpuRate = new CpuRateTracker();
  private readonly writableLayers: WritableLayerUsage;

  constructor(private readonly deps: StatsDependencies) {
    this.writableLayers = new WritableLayerUsage(deps.containerd, deps.collectPeriodMs);
  }

  async container(container: Container): Promise<ContainerReading> {
    const { metadata } = container;
    const reading: ContainerReading = { container };
    if (metadata.state === 'running' && metadata.cgroupsPath) {
      const cgroup = await this.cgroup(container.id, metadata.cgroupsPath);
      if (cgroup) reading.cgroup = cgroup;
    }
    const layer = await this.writableLayers.get(metadata.snapshotter, container.id);
    if (layer) {
      // Only the mountpoint: waiting for the image filesystem's usage would hold the call up whenever it is re-measured.
      const mountpoint = await this.deps.imageFs.mountpoint().catch(() => '');
      reading.writableLayer = { ...layer, mountpoint };
    }
    return reading;
  }

  async pod(sandbox: Sandbox): Promise<PodReading> {
    const reading: PodReading = { sandbox, containers: await Promise.all(this.deps.containers.ofPod(sandbox.id).map((c) => this.container(c))) };
    if (sandbox.state !== 'ready') return reading;
    const podCgroup = podCgroupPath(sandbox);
    const cgroup = podCgroup ? await this.cgroup(`pod:${sandbox.id}`, podCgroup) : undefined;
    if (cgroup) reading.cgroup = cgroup;
    if (sandbox.pid > 0 && !sandbox.metadata.hostNetwork) {
      const network = await readNetworkStats(sandbox.pid).catch(() => undefined);
      if (network) reading.network = network;
    }
    return reading;
  }

  private async cgroup(key: string, cgroupsPath: string): Promise<CgroupReading | undefined> {
    const stats = await readCgroupStats(await hostCgroupLayout(), cgroupsPath).catch(() => undefined);
    if (!stats) return undefined;
    const usageNanoCores = this.cpuRate.update(key, stats.timestampNs, stats.cpu.usageCoreNanoSeconds) ?? 0n;
    return { stats, usageNanoCores };
  }
}
