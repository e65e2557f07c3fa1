import type { ContainerStats } from '../../generated/cri/runtime/v1/ContainerStats.js';
import type { CpuUsage } from '../../generated/cri/runtime/v1/CpuUsage.js';
import type { MemoryUsage } from '../../generated/cri/runtime/v1/MemoryUsage.js';
import type { PodSandboxStats } from '../../generated/cri/runtime/v1/PodSandboxStats.js';
import type { CgroupReading, ContainerReading, PodReading } from '../../stats/stats-service.js';
import type { InterfaceStats } from '../../stats/network-stats.js';

const u64 = (value: number | bigint | undefined): { value: string } | null => (value === undefined ? null : { value: value.toString() });

/** CPU and memory figures of one cgroup reading. */
function cgroupUsage(reading: CgroupReading): { cpu: CpuUsage & { timestamp: string }; memory: MemoryUsage } {
  const { stats } = reading;
  const timestamp = stats.timestampNs.toString();
  const m = stats.memory;
  return {
    cpu: { timestamp, usageCoreNanoSeconds: u64(stats.cpu.usageCoreNanoSeconds), usageNanoCores: u64(reading.usageNanoCores) },
    memory: {
      timestamp,
      workingSetBytes: u64(m.workingSetBytes),
      availableBytes: u64(m.availableBytes),
      usageBytes: u64(m.usageBytes),
      rssBytes: u64(m.rssBytes),
      pageFaults: u64(m.pageFaults),
      majorPageFaults: u64(m.majorPageFaults),
    },
  };
}

export function toContainerStats(reading: ContainerReading): ContainerStats {
  const { metadata } = reading.container;
  const stats: ContainerStats = {
    attributes: { id: reading.container.id, metadata: metadata.config.metadata, labels: metadata.config.labels, annotations: metadata.config.annotations },
  };
  if (reading.cgroup) {
    const usage = cgroupUsage(reading.cgroup);
    stats.cpu = usage.cpu;
    stats.memory = usage.memory;
    stats.swap = { timestamp: usage.cpu.timestamp, swapUsageBytes: u64(reading.cgroup.stats.memory.swapUsageBytes ?? 0) };
  }
  const layer = reading.writableLayer;
  if (layer) {
    stats.writableLayer = { timestamp: layer.timestampNs.toString(), fsId: { mountpoint: layer.mountpoint }, usedBytes: u64(layer.usedBytes), inodesUsed: u64(layer.inodesUsed) };
  }
  return stats;
}

const toCriInterface = (i: InterfaceStats) => ({
  name: i.name,
  rxBytes: u64(i.rxBytes),
  rxErrors: u64(i.rxErrors),
  txBytes: u64(i.txBytes),
  txErrors: u64(i.txErrors),
});

export function toPodSandboxStats(reading: PodReading): PodSandboxStats {
  const { config } = reading.sandbox.metadata;
  const linux: NonNullable<PodSandboxStats['linux']> = { containers: reading.containers.map(toContainerStats) };
  if (reading.cgroup) {
    const usage = cgroupUsage(reading.cgroup);
    linux.cpu = usage.cpu;
    linux.memory = usage.memory;
    linux.process = { timestamp: usage.cpu.timestamp, processCount: u64(reading.cgroup.stats.pids.current) };
  }
  const network = reading.network;
  if (network) {
    linux.network = {
      timestamp: network.timestampNs.toString(),
      ...(network.defaultInterface ? { defaultInterface: toCriInterface(network.defaultInterface) } : {}),
      interfaces: network.interfaces.map(toCriInterface),
    };
  }
  return { attributes: { id: reading.sandbox.id, metadata: config.metadata, labels: config.labels, annotations: config.annotations }, linux };
}
