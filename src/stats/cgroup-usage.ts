import type { CgroupDirs, V1Controller } from '../host/cgroup-layout.js';
import { nowNs, parseKeyedValues, parseUint, readOptionalText } from './files.js';

/** Block IO of a cgroup on one device, with v1's operation names ("Read", "Write", ...). */
export interface DeviceIo {
  major: number;
  minor: number;
  /** Bytes transferred by operation. */
  bytes: Map<string, bigint>;
  /** Operations completed by operation. */
  operations: Map<string, bigint>;
}

/** Page faults of the cgroup itself and of it with its descendants. */
export interface FaultCounts {
  container: bigint;
  hierarchy: bigint;
}

/**
 * Everything the metrics tell about one cgroup, as cadvisor reads it. A field
 * is absent when this kernel has no file for it (e.g. memory.peak before 5.19).
 */
export interface CgroupUsage {
  timestampNs: bigint;
  cpu: {
    usageNs: bigint;
    userNs: bigint;
    systemNs: bigint;
    /** CFS bandwidth: elapsed and throttled periods, time throttled. */
    periods: bigint;
    throttledPeriods: bigint;
    throttledNs: bigint;
  };
  memory: {
    usage: bigint;
    maxUsage?: bigint;
    workingSet: bigint;
    cache: bigint;
    rss: bigint;
    mappedFile: bigint;
    /** 0 where the kernel does not account swap. */
    swap: bigint;
    kernel?: bigint;
    /** Times usage hit the limit (v1 memory.failcnt, v2 memory.events "max"). */
    failcnt?: bigint;
    activeFile: bigint;
    inactiveFile: bigint;
    pageFaults: FaultCounts;
    majorPageFaults: FaultCounts;
    oomKills?: bigint;
  };
  /** pids.current: tasks, i.e. threads; absent without the pids controller. */
  threads?: bigint;
  /** Processes directly in the cgroup (cgroup.procs), for counting them and their open files. */
  processIds: number[];
  io: DeviceIo[];
}

// The memory.stat keys the figures use; the other fifty or so are not parsed.
const V1_MEMORY_KEYS: ReadonlySet<string> = new Set(
  ['cache', 'rss', 'mapped_file', 'swap', 'active_file', 'inactive_file', 'pgfault', 'pgmajfault'].flatMap((k) => [k, `total_${k}`]),
);
const V2_MEMORY_KEYS: ReadonlySet<string> = new Set([
  'anon', 'file', 'file_mapped', 'active_file', 'inactive_file', 'pgfault', 'pgmajfault',
  'kernel', 'kernel_stack', 'pagetables', 'percpu', 'vmalloc', 'slab',
]);

/** A keyed file's value, 0 when the key is missing. */
const key = (map: Map<string, bigint>, name: string): bigint => map.get(name) ?? 0n;

// cpuacct.stat counts USER_HZ ticks, which Linux fixes at 100 per second for this interface.
const NS_PER_USER_HZ_TICK = 10_000_000n;

/** The figures of one cgroup, each file read once and all in parallel; undefined when the cgroup does not exist. */
export async function readCgroupUsage(dirs: CgroupDirs): Promise<CgroupUsage | undefined> {
  return dirs.version === 2 ? readV2(dirs.unified) : readV1(dirs.dirs);
}

async function readV2(dir: string): Promise<CgroupUsage | undefined> {
  const timestampNs = nowNs();
  const file = (name: string) => readOptionalText(`${dir}/${name}`);
  const [procs, cpuStat, current, peak, memStat, events, swap, pidsCurrent, ioStat] = await Promise.all([
    file('cgroup.procs'),
    file('cpu.stat'),
    file('memory.current'),
    file('memory.peak'),
    file('memory.stat'),
    file('memory.events'),
    file('memory.swap.current'),
    file('pids.current'),
    file('io.stat'),
  ]);
  // cgroup.procs exists in every cgroup: without it the cgroup is gone.
  if (procs === undefined) return undefined;
  const cpu = parseKeyedValues(cpuStat);
  const stat = parseKeyedValues(memStat, V2_MEMORY_KEYS);
  const memoryEvents = parseKeyedValues(events);
  const usage = parseUint(current) ?? 0n;
  const inactiveFile = key(stat, 'inactive_file');
  const pageFaults = key(stat, 'pgfault');
  const majorPageFaults = key(stat, 'pgmajfault');
  const usageReading: CgroupUsage = {
    timestampNs,
    cpu: {
      usageNs: key(cpu, 'usage_usec') * 1000n,
      userNs: key(cpu, 'user_usec') * 1000n,
      systemNs: key(cpu, 'system_usec') * 1000n,
      periods: key(cpu, 'nr_periods'),
      throttledPeriods: key(cpu, 'nr_throttled'),
      throttledNs: key(cpu, 'throttled_usec') * 1000n,
    },
    memory: {
      usage,
      workingSet: floorSub(usage, inactiveFile),
      cache: key(stat, 'file'),
      rss: key(stat, 'anon'),
      mappedFile: key(stat, 'file_mapped'),
      swap: parseUint(swap) ?? 0n,
      activeFile: key(stat, 'active_file'),
      inactiveFile,
      // v2's memory.stat always covers the descendants: both scopes read the same.
      pageFaults: { container: pageFaults, hierarchy: pageFaults },
      majorPageFaults: { container: majorPageFaults, hierarchy: majorPageFaults },
    },
    processIds: parseProcs(procs),
    io: parseIoStat(ioStat),
  };
  const { memory } = usageReading;
  const maxUsage = parseUint(peak);
  if (maxUsage !== undefined) memory.maxUsage = maxUsage;
  const kernel = v2KernelMemory(stat);
  if (kernel !== undefined) memory.kernel = kernel;
  if (events !== undefined) {
    memory.failcnt = key(memoryEvents, 'max');
    memory.oomKills = key(memoryEvents, 'oom_kill');
  }
  setThreads(usageReading, pidsCurrent);
  return usageReading;
}

/** memory.stat "kernel" (5.18+), else the kernel parts older kernels list one by one. */
function v2KernelMemory(stat: Map<string, bigint>): bigint | undefined {
  const total = stat.get('kernel');
  if (total !== undefined) return total;
  const parts = ['kernel_stack', 'pagetables', 'percpu', 'vmalloc', 'slab'].map((name) => stat.get(name));
  if (parts.every((part) => part === undefined)) return undefined;
  return parts.reduce<bigint>((sum, part) => sum + (part ?? 0n), 0n);
}

async function readV1(dirs: Partial<Record<V1Controller, string>>): Promise<CgroupUsage | undefined> {
  const timestampNs = nowNs();
  const file = (controller: V1Controller, name: string): Promise<string | undefined> => {
    const dir = dirs[controller];
    return dir === undefined ? Promise.resolve(undefined) : readOptionalText(`${dir}/${name}`);
  };
  // runc puts a container in the same cgroup path in every hierarchy: one cgroup.procs serves.
  const procsController = (['memory', 'cpu', 'cpuacct', 'pids', 'blkio'] as const).find((c) => dirs[c] !== undefined);
  if (procsController === undefined) return undefined;
  const [procs, cpuacctStat, cpuStat, memUsage, memMax, memFailcnt, kmem, oomControl, memStat, pidsCurrent, ioBytes, ioOps] =
    await Promise.all([
      file(procsController, 'cgroup.procs'),
      file('cpuacct', 'cpuacct.stat'),
      file('cpu', 'cpu.stat'),
      file('memory', 'memory.usage_in_bytes'),
      file('memory', 'memory.max_usage_in_bytes'),
      file('memory', 'memory.failcnt'),
      file('memory', 'memory.kmem.usage_in_bytes'),
      file('memory', 'memory.oom_control'),
      file('memory', 'memory.stat'),
      file('pids', 'pids.current'),
      file('blkio', 'blkio.throttle.io_service_bytes_recursive'),
      file('blkio', 'blkio.throttle.io_serviced_recursive'),
    ]);
  if (procs === undefined) return undefined;
  const ticks = parseKeyedValues(cpuacctStat);
  const userNs = key(ticks, 'user') * NS_PER_USER_HZ_TICK;
  const systemNs = key(ticks, 'system') * NS_PER_USER_HZ_TICK;
  const cpu = parseKeyedValues(cpuStat);
  const stat = parseKeyedValues(memStat, V1_MEMORY_KEYS);
  // total_* cover the descendants, plain keys the cgroup alone; kubelet and cadvisor want the totals.
  const total = (name: string): bigint => stat.get(`total_${name}`) ?? key(stat, name);
  const usage = parseUint(memUsage) ?? 0n;
  const inactiveFile = total('inactive_file');
  const usageReading: CgroupUsage = {
    timestampNs,
    cpu: {
      // The kernel scales cpuacct.stat so that user + system is cpuacct.usage, to the tick: one file fewer, at whole seconds the same.
      usageNs: userNs + systemNs,
      userNs,
      systemNs,
      periods: key(cpu, 'nr_periods'),
      throttledPeriods: key(cpu, 'nr_throttled'),
      throttledNs: key(cpu, 'throttled_time'),
    },
    memory: {
      usage,
      workingSet: floorSub(usage, inactiveFile),
      cache: total('cache'),
      rss: total('rss'),
      mappedFile: total('mapped_file'),
      swap: total('swap'),
      activeFile: total('active_file'),
      inactiveFile,
      pageFaults: { container: key(stat, 'pgfault'), hierarchy: total('pgfault') },
      majorPageFaults: { container: key(stat, 'pgmajfault'), hierarchy: total('pgmajfault') },
    },
    processIds: parseProcs(procs),
    io: parseBlkio(ioBytes, ioOps),
  };
  const { memory } = usageReading;
  const maxUsage = parseUint(memMax);
  if (maxUsage !== undefined) memory.maxUsage = maxUsage;
  const failcnt = parseUint(memFailcnt);
  if (failcnt !== undefined) memory.failcnt = failcnt;
  const kernel = parseUint(kmem);
  if (kernel !== undefined) memory.kernel = kernel;
  // oom_control lists oom_kill since 4.13.
  const oomKills = parseKeyedValues(oomControl).get('oom_kill');
  if (oomKills !== undefined) memory.oomKills = oomKills;
  setThreads(usageReading, pidsCurrent);
  return usageReading;
}

function setThreads(reading: CgroupUsage, current: string | undefined): void {
  const threads = parseUint(current);
  if (threads !== undefined) reading.threads = threads;
}

function floorSub(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

export function parseProcs(text: string): number[] {
  const pids: number[] = [];
  for (const line of text.split('\n')) {
    const pid = Number(line);
    if (line !== '' && Number.isSafeInteger(pid) && pid > 0) pids.push(pid);
  }
  return pids;
}

/** "MAJ:MIN" -> [major, minor], or undefined. */
function parseDevice(text: string | undefined): [number, number] | undefined {
  const match = /^(\d+):(\d+)$/.exec(text ?? '');
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function deviceEntry(devices: Map<string, DeviceIo>, major: number, minor: number): DeviceIo {
  const id = `${major}:${minor}`;
  let entry = devices.get(id);
  if (!entry) {
    entry = { major, minor, bytes: new Map(), operations: new Map() };
    devices.set(id, entry);
  }
  return entry;
}

/** v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device. */
export function parseIoStat(text: string | undefined): DeviceIo[] {
  const devices = new Map<string, DeviceIo>();
  const names: Record<string, ['bytes' | 'operations', string]> = {
    rbytes: ['bytes', 'Read'],
    wbytes: ['bytes', 'Write'],
    rios: ['operations', 'Read'],
    wios: ['operations', 'Write'],
  };
  for (const line of text?.split('\n') ?? []) {
    const [deviceText, ...pairs] = line.trim().split(/\s+/);
    const device = parseDevice(deviceText);
    if (!device) continue;
    const entry = deviceEntry(devices, ...device);
    for (const pair of pairs) {
      const [name = '', valueText] = pair.split('=');
      const target = names[name];
      const value = parseUint(valueText);
      if (target && value !== undefined) entry[target[0]].set(target[1], value);
    }
  }
  return [...devices.values()];
}

/** v1 blkio "MAJ:MIN Op N" lines (Read, Write, Sync, Async, Discard, Total); the last "Total N" line has no device. */
export function parseBlkio(bytesText: string | undefined, operationsText: string | undefined): DeviceIo[] {
  const devices = new Map<string, DeviceIo>();
  const fill = (text: string | undefined, table: 'bytes' | 'operations'): void => {
    for (const line of text?.split('\n') ?? []) {
      const [deviceText, op, valueText] = line.trim().split(/\s+/);
      const device = parseDevice(deviceText);
      const value = parseUint(valueText);
      if (device && op && value !== undefined) deviceEntry(devices, ...device)[table].set(op, value);
    }
  };
  fill(bytesText, 'bytes');
  fill(operationsText, 'operations');
  return [...devices.values()];
}
