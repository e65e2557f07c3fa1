import type { CgroupUsage, DeviceIo } from './cgroup-usage.js';
import type { FilesystemFigures } from './filesystem-info.js';
import { FAMILIES, type MetricFamily } from './metric-families.js';
import type { NetworkStats } from './network-stats.js';
import type { OpenFiles } from './process-files.js';

/** One series' value: its family and label values (base then the family's extra ones). */
export interface MetricSample {
  family: MetricFamily;
  /** The base label values, one array shared by every sample of a container (or of the pod). */
  base: readonly string[];
  extra: readonly string[];
  value: bigint;
  /** When a cached figure was measured; 0 for figures read for this call, which kubelet then stamps with the scrape's time. */
  timestampNs: bigint;
}

export interface ContainerMetricSet {
  containerId: string;
  metrics: MetricSample[];
}

export interface PodMetricSet {
  podId: string;
  /** The pod's network namespace, labelled as cadvisor labels the pause container's series. */
  metrics: MetricSample[];
  containers: ContainerMetricSet[];
}

/** Resource limits as the container's spec sets them; absent ones are the kernel's defaults. */
export interface SpecResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimit?: number;
  memorySwapLimit?: number;
  /** What runc writes to pids.max; none means "max". */
  pidsLimit?: number;
}

export interface ContainerFigures {
  containerId: string;
  name: string;
  image: string;
  /** The cgroup's path under the hierarchy root: cadvisor's id label. */
  cgroupPath: string;
  startedAtNs: bigint;
  usage: CgroupUsage;
  openFiles?: OpenFiles;
  ulimits?: Map<string, bigint>;
  resources: SpecResources;
  writableLayer?: { usedBytes: number; timestampNs: bigint };
  /** The filesystem the writable layer is on. */
  filesystem?: FilesystemFigures;
}

export interface PodFigures {
  podId: string;
  podName: string;
  namespace: string;
  /** The pause container's cgroup and image, which label the pod's series. */
  sandboxCgroupPath: string;
  sandboxImage: string;
  network?: NetworkStats;
  containers: ContainerFigures[];
  /** Block device names by "MAJ:MIN" for the IO figures. */
  deviceNames: ReadonlyMap<string, string>;
}

const NS_PER_SECOND = 1_000_000_000n;
// The kernel's defaults for what a spec leaves unset (v2's default cpu.weight 100 stands for 1024 shares).
const DEFAULT_CPU_PERIOD_US = 100_000;
const DEFAULT_CPU_SHARES = 1024;

const seconds = (ns: bigint): bigint => ns / NS_PER_SECOND;

/** Collects the samples of one container or of the pod, all with the same base labels. */
class Samples {
  readonly list: MetricSample[] = [];

  constructor(private readonly base: readonly string[]) {}

  /** A figure read for this call. */
  add(family: MetricFamily, value: bigint | number | undefined, extra: readonly string[] = []): void {
    this.addCached(family, value, 0n, extra);
  }

  /** A figure measured earlier, at `timestampNs`. */
  addCached(family: MetricFamily, value: bigint | number | undefined, timestampNs: bigint, extra: readonly string[] = []): void {
    if (value === undefined) return;
    this.list.push({ family, base: this.base, extra, value: typeof value === 'bigint' ? value : BigInt(Math.max(0, Math.trunc(value))), timestampNs });
  }
}

/**
 * The pod's series and its running containers', from figures read for this
 * call (`nowNs` is when: cadvisor's last_seen).
 */
export function buildPodMetrics(pod: PodFigures, nowNs: bigint): PodMetricSet {
  // cadvisor finds the pod's network on the pause container: no container name, its cgroup, image and ID.
  const podSamples = new Samples(['', pod.sandboxCgroupPath, pod.sandboxImage, pod.podId, pod.namespace, pod.podName]);
  if (pod.network) addNetworkSamples(podSamples, pod.network);
  const containers = pod.containers.map((container) => {
    const samples = new Samples([container.name, container.cgroupPath, container.image, container.containerId, pod.namespace, pod.podName]);
    addCgroupSamples(samples, container.usage, pod.deviceNames);
    addProcessSamples(samples, container);
    addFilesystemSamples(samples, container);
    addSpecSamples(samples, container.resources);
    if (container.startedAtNs > 0n) samples.add(FAMILIES.startTime, seconds(container.startedAtNs));
    samples.add(FAMILIES.lastSeen, seconds(nowNs));
    return { containerId: container.containerId, metrics: samples.list };
  });
  return { podId: pod.podId, metrics: podSamples.list, containers };
}

function addCgroupSamples(samples: Samples, usage: CgroupUsage, deviceNames: ReadonlyMap<string, string>): void {
  const { cpu, memory } = usage;
  samples.add(FAMILIES.cpuUsage, seconds(cpu.usageNs), ['total']);
  samples.add(FAMILIES.cpuUser, seconds(cpu.userNs));
  samples.add(FAMILIES.cpuSystem, seconds(cpu.systemNs));
  samples.add(FAMILIES.cfsPeriods, cpu.periods);
  samples.add(FAMILIES.cfsThrottledPeriods, cpu.throttledPeriods);
  samples.add(FAMILIES.cfsThrottledSeconds, seconds(cpu.throttledNs));

  samples.add(FAMILIES.memoryUsage, memory.usage);
  samples.add(FAMILIES.memoryMaxUsage, memory.maxUsage);
  samples.add(FAMILIES.memoryWorkingSet, memory.workingSet);
  samples.add(FAMILIES.memoryCache, memory.cache);
  samples.add(FAMILIES.memoryRss, memory.rss);
  samples.add(FAMILIES.memoryMappedFile, memory.mappedFile);
  samples.add(FAMILIES.memorySwap, memory.swap);
  samples.add(FAMILIES.memoryKernel, memory.kernel);
  samples.add(FAMILIES.memoryFailcnt, memory.failcnt);
  samples.add(FAMILIES.memoryActiveFile, memory.activeFile);
  samples.add(FAMILIES.memoryInactiveFile, memory.inactiveFile);
  for (const scope of ['container', 'hierarchy'] as const) {
    samples.add(FAMILIES.memoryFailures, memory.pageFaults[scope], ['pgfault', scope]);
    samples.add(FAMILIES.memoryFailures, memory.majorPageFaults[scope], ['pgmajfault', scope]);
  }
  samples.add(FAMILIES.oomEvents, memory.oomKills);
  samples.add(FAMILIES.threads, usage.threads);
  for (const io of usage.io) {
    const id = `${io.major}:${io.minor}`;
    addDeviceSamples(samples, io, deviceNames.get(id) ?? id);
  }
}

function addDeviceSamples(samples: Samples, io: DeviceIo, device: string): void {
  samples.add(FAMILIES.fsReadsBytes, io.bytes.get('Read'), [device]);
  samples.add(FAMILIES.fsReads, io.operations.get('Read'), [device]);
  samples.add(FAMILIES.fsWritesBytes, io.bytes.get('Write'), [device]);
  samples.add(FAMILIES.fsWrites, io.operations.get('Write'), [device]);
  for (const [operation, bytes] of io.bytes) {
    samples.add(FAMILIES.blkioDeviceUsage, bytes, [device, String(io.major), String(io.minor), operation]);
  }
}

function addNetworkSamples(samples: Samples, network: NetworkStats): void {
  for (const i of network.interfaces) {
    const name = [i.name];
    samples.add(FAMILIES.networkReceiveBytes, i.rxBytes, name);
    samples.add(FAMILIES.networkReceivePackets, i.rxPackets, name);
    samples.add(FAMILIES.networkReceiveDropped, i.rxDropped, name);
    samples.add(FAMILIES.networkReceiveErrors, i.rxErrors, name);
    samples.add(FAMILIES.networkTransmitBytes, i.txBytes, name);
    samples.add(FAMILIES.networkTransmitPackets, i.txPackets, name);
    samples.add(FAMILIES.networkTransmitDropped, i.txDropped, name);
    samples.add(FAMILIES.networkTransmitErrors, i.txErrors, name);
  }
}

function addProcessSamples(samples: Samples, container: ContainerFigures): void {
  samples.add(FAMILIES.processes, container.usage.processIds.length);
  // The limit the spec gave runc for pids.max (cadvisor reads that file; "max", no limit, reads 0).
  samples.add(FAMILIES.threadsMax, container.resources.pidsLimit ?? 0);
  if (container.openFiles) {
    samples.add(FAMILIES.fileDescriptors, container.openFiles.fileDescriptors);
    samples.add(FAMILIES.sockets, container.openFiles.sockets);
  }
  for (const [name, value] of container.ulimits ?? []) samples.add(FAMILIES.ulimitsSoft, value, [name]);
}

/** The writable layer's usage (measured in the background, so stamped) on the snapshotter's filesystem. */
function addFilesystemSamples(samples: Samples, container: ContainerFigures): void {
  const fs = container.filesystem;
  if (!fs) return;
  const device = [fs.device];
  const layer = container.writableLayer;
  if (layer) samples.addCached(FAMILIES.fsUsage, layer.usedBytes, layer.timestampNs, device);
  samples.add(FAMILIES.fsLimit, fs.capacityBytes, device);
  samples.add(FAMILIES.fsInodesTotal, fs.inodes, device);
  samples.add(FAMILIES.fsInodesFree, fs.inodesFree, device);
}

/** cadvisor's spec figures; an unlimited memory or swap limit reads 0, as cadvisor reports it. */
function addSpecSamples(samples: Samples, resources: SpecResources): void {
  samples.add(FAMILIES.specCpuPeriod, resources.cpuPeriod ?? DEFAULT_CPU_PERIOD_US);
  if (resources.cpuQuota !== undefined && resources.cpuQuota > 0) samples.add(FAMILIES.specCpuQuota, resources.cpuQuota);
  samples.add(FAMILIES.specCpuShares, resources.cpuShares ?? DEFAULT_CPU_SHARES);
  samples.add(FAMILIES.specMemoryLimit, resources.memoryLimit ?? 0);
  samples.add(FAMILIES.specMemorySwapLimit, resources.memorySwapLimit ?? 0);
}
