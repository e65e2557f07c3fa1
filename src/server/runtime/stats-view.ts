import type { Container } from '../../container/container.js';
import type { ContainerStats } from '../../generated/cri/runtime/v1/ContainerStats.js';
import type { PodSandboxStats } from '../../generated/cri/runtime/v1/PodSandboxStats.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import type { CpuUsage } from '../../generated/cri/runtime/v1/CpuUsage.js';
import type { MemoryUsage } from '../../generated/cri/runtime/v1/MemoryUsage.js';
import { type CgroupStats, readCgroupStats } from '../../stats/cgroup-stats.js';
import { readNetworkStats } from '../../stats/network-stats.js';
import type { ServerContext } from '../context.js';

const u64 = (value: number | bigint | undefined): { value: string } | null => (value === undefined ? null : { value: value.toString() });

/** CPU (with the rate since the last sample of `key`) and memory figures of one cgroup reading. */
function cgroupUsage(ctx: ServerContext, key: string, cgroup: CgroupStats): { cpu: CpuUsage & { timestamp: string }; memory: MemoryUsage } {
  const timestamp = cgroup.timestampNs.toString();
  const nanoCores = ctx.stats.cpuRate.update(key, cgroup.timestampNs, cgroup.cpu.usageCoreNanoSeconds);
  const m = cgroup.memory;
  return {
    cpu: { timestamp, usageCoreNanoSeconds: u64(cgroup.cpu.usageCoreNanoSeconds), usageNanoCores: u64(nanoCores ?? 0n) },
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

/** Cgroup figures (read now: a few small files) and the cached writable-layer figure of one container. */
export async function containerStats(ctx: ServerContext, container: Container): Promise<ContainerStats> {
  const { metadata } = container;
  const stats: ContainerStats = {
    attributes: { id: container.id, metadata: metadata.config.metadata, labels: metadata.config.labels, annotations: metadata.config.annotations },
  };
  if (metadata.state === 'running' && metadata.cgroupsPath) {
    const cgroup = await readCgroupStats(await ctx.stats.layout(), metadata.cgroupsPath).catch(() => undefined);
    if (cgroup) {
      const usage = cgroupUsage(ctx, container.id, cgroup);
      stats.cpu = usage.cpu;
      stats.memory = usage.memory;
      const timestamp = usage.cpu.timestamp;
      stats.swap = { timestamp, swapUsageBytes: u64(cgroup.memory.swapUsageBytes ?? 0) };
    }
  }
  const layer = await ctx.stats.writableLayers.get(metadata.snapshotter, container.id);
  if (layer) {
    const mountpoint = (await ctx.imageFsUsage.current().catch(() => undefined))?.mountpoint ?? '';
    stats.writableLayer = { timestamp: layer.timestampNs.toString(), fsId: { mountpoint }, usedBytes: u64(layer.usedBytes), inodesUsed: u64(layer.inodesUsed) };
  }
  return stats;
}

/** A pod's cgroup (its parent, or the pause container's), its netns interfaces and its containers. */
export async function podSandboxStats(ctx: ServerContext, sandbox: Sandbox): Promise<PodSandboxStats> {
  const { config } = sandbox.metadata;
  const stats: PodSandboxStats = {
    attributes: { id: sandbox.id, metadata: config.metadata, labels: config.labels, annotations: config.annotations },
    linux: { containers: await Promise.all(ctx.containers.store.ofSandbox(sandbox.id).map((c) => containerStats(ctx, c))) },
  };
  if (sandbox.state !== 'ready') return stats;
  const podCgroup = config.linux?.cgroupParent || sandbox.metadata.cgroupsPath;
  const cgroup = podCgroup ? await readCgroupStats(await ctx.stats.layout(), podCgroup).catch(() => undefined) : undefined;
  if (cgroup) {
    const usage = cgroupUsage(ctx, `pod:${sandbox.id}`, cgroup);
    stats.linux!.cpu = usage.cpu;
    stats.linux!.memory = usage.memory;
    const timestamp = usage.cpu.timestamp;
    stats.linux!.process = { timestamp, processCount: u64(cgroup.pids.current) };
  }
  if (sandbox.pid > 0 && !sandbox.metadata.hostNetwork) {
    const network = await readNetworkStats(sandbox.pid).catch(() => undefined);
    if (network) {
      const toCri = (i: { name: string; rxBytes: number; rxErrors: number; txBytes: number; txErrors: number }) => ({
        name: i.name,
        rxBytes: u64(i.rxBytes),
        rxErrors: u64(i.rxErrors),
        txBytes: u64(i.txBytes),
        txErrors: u64(i.txErrors),
      });
      stats.linux!.network = {
        timestamp: network.timestampNs.toString(),
        ...(network.defaultInterface ? { defaultInterface: toCri(network.defaultInterface) } : {}),
        interfaces: network.interfaces.map(toCri),
      };
    }
  }
  return stats;
}
