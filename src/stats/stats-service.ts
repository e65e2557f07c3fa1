import type { Container } from '../container/container.js';
import type { ContainerdClient } from '../containerd/client.js';
import type { SnapshotterUsageMeter } from '../image/snapshotter-usage.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { BlockDeviceNames } from './block-devices.js';
import { hostCgroupLayout } from '../host/cgroup-layout.js';
import { type CgroupStats, readCgroupStats } from './cgroup-stats.js';
import { CpuRateTracker } from './cpu-rate.js';
import { nowNs } from './files.js';
import { FilesystemInfo } from './filesystem-info.js';
import { readPodFigures } from './metric-figures.js';
import { type NetworkStats, readNetworkStats } from './network-stats.js';
import { podCgroupPath } from './pod-cgroup.js';
import { buildPodMetrics, type PodMetricSet } from './pod-metrics.js';
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
  /** The pause image, which cadvisor labels a pod's network series with. */
  sandboxImage: string;
}

/**
 * Figures of pods and containers for the stats and metrics calls: cgroup
 * files read at call time (a few small files each), writable layers from a
 * cache refreshed in the background, CPU rates from the previous reading.
 */
export class StatsService {
  private readonly cpuRate = new CpuRateTracker();
  private readonly writableLayers: WritableLayerUsage;
  private readonly deviceNames = new BlockDeviceNames();
  private readonly filesystems = new FilesystemInfo();

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

  /**
   * cadvisor's metric families for each ready pod given (its network) and its
   * running containers (everything else). Whatever all pods share (the cgroup
   * layout, the snapshotter's filesystem, device names) is looked up once.
   */
  async podMetrics(sandboxes: Sandbox[]): Promise<PodMetricSet[]> {
    const [layout, mountpoint] = await Promise.all([hostCgroupLayout(), this.deps.imageFs.mountpoint().catch(() => '')]);
    const filesystem = await this.filesystems.of(mountpoint);
    const sources = {
      layout,
      filesystem,
      sandboxImage: this.deps.sandboxImage,
      containersOf: (podId: string) => this.deps.containers.ofPod(podId),
      writableLayer: (container: Container) => this.writableLayers.get(container.metadata.snapshotter, container.id),
    };
    const pods = await Promise.all(sandboxes.filter((s) => s.state === 'ready').map((s) => readPodFigures(s, sources)));
    const deviceNames = await this.namesOfDevices(pods.flatMap((p) => p.containers.map((c) => c.usage)));
    const now = nowNs();
    return pods.map((pod) => buildPodMetrics({ ...pod, deviceNames }, now));
  }

  private async namesOfDevices(usages: Array<{ io: Array<{ major: number; minor: number }> }>): Promise<Map<string, string>> {
    const devices = new Map<string, { major: number; minor: number }>();
    for (const usage of usages) for (const d of usage.io) devices.set(`${d.major}:${d.minor}`, d);
    const names = await Promise.all([...devices.values()].map((d) => this.deviceNames.name(d.major, d.minor)));
    return new Map([...devices.keys()].map((id, i) => [id, names[i]!]));
  }

  private async cgroup(key: string, cgroupsPath: string): Promise<CgroupReading | undefined> {
    const stats = await readCgroupStats(await hostCgroupLayout(), cgroupsPath).catch(() => undefined);
    if (!stats) return undefined;
    const usageNanoCores = this.cpuRate.update(key, stats.timestampNs, stats.cpu.usageCoreNanoSeconds) ?? 0n;
    return { stats, usageNanoCores };
  }
}
