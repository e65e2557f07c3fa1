import { statSync } from 'node:fs';
import { posix } from 'node:path';
import type { CgroupDirs, CgroupLayout } from '../host/cgroup-layout.js';
import { isAbsentError, nowNs, parseKeyedValues, parseUint, readOptionalText, withinSlice } from './files.js';
import { readProcessCount } from './process-count.js';

export interface CgroupStats {
  timestampNs: bigint;
  cpu: { usageCoreNanoSeconds: bigint };
  memory: {
    usageBytes: number;
    workingSetBytes: number;
    rssBytes: number;
    availableBytes?: number;
    pageFaults: number;
    majorPageFaults: number;
    limitBytes?: number;
    swapUsageBytes?: number;
  };
  pids: { current: number; limit?: number };
}

// Limits at or above this are "unlimited": v1 reports page-rounded 2^63-1 (9223372036854771712).
const UNLIMITED = 1n << 62n;

interface RawMemory {
  usage: bigint;
  inactiveFile: bigint;
  rss: bigint;
  pgfault: bigint;
  pgmajfault: bigint;
  limit: bigint | undefined;
  swap: bigint | undefined;
}

/** Stats of the cgroup named by an OCI cgroupsPath; undefined when that cgroup does not exist. */
export async function readCgroupStats(layout: CgroupLayout, cgroupsPath: string): Promise<CgroupStats | undefined> {
  const dirs = layout.dirsFor(cgroupsPath);
  const timestampNs = nowNs();
  const [cpu, memory, pids] = await Promise.all([readCpuUsage(dirs), readMemory(dirs), readPids(dirs)]);
  // Checked after reading: missing files then mean "no cgroup" (or removed meanwhile), not zeros.
  if (!(await anyExists(dirs.version === 2 ? [dirs.unified] : Object.values(dirs.dirs)))) return undefined;
  return { timestampNs, cpu: { usageCoreNanoSeconds: cpu ?? 0n }, memory: memoryStats(memory), pids };
}

async function readCpuUsage(dirs: CgroupDirs): Promise<bigint | undefined> {
  if (dirs.version === 2) {
    const usec = parseKeyedValues(await readOptionalText(posix.join(dirs.unified, 'cpu.stat'))).get('usage_usec');
    return usec === undefined ? undefined : usec * 1000n;
  }
  return dirs.dirs.cpuacct === undefined ? undefined : parseUint(await readOptionalText(posix.join(dirs.dirs.cpuacct, 'cpuacct.usage')));
}

async function readMemory(dirs: CgroupDirs): Promise<RawMemory> {
  if (dirs.version === 2) {
    const file = (name: string) => readOptionalText(`${dirs.unified}/${name}`);
    const [current, statText, max, swap] = await Promise.all([file('memory.current'), file('memory.stat'), file('memory.max'), file('memory.swap.current')]);
    const memStat = parseKeyedValues(statText);
    return {
      usage: parseUint(current) ?? 0n,
      inactiveFile: memStat.get('inactive_file') ?? 0n,
      rss: memStat.get('anon') ?? 0n,
      pgfault: memStat.get('pgfault') ?? 0n,
      pgmajfault: memStat.get('pgmajfault') ?? 0n,
      limit: parseUint(max),
      swap: parseUint(swap),
    };
  }
  const dir = dirs.dirs.memory;
  const file = (name: string) => (dir === undefined ? Promise.resolve(undefined) : readOptionalText(`${dir}/${name}`));
  const [usageText, statText, limit, memsw] = await Promise.all([
    file('memory.usage_in_bytes'),
    file('memory.stat'),
    file('memory.limit_in_bytes'),
    file('memory.memsw.usage_in_bytes'),
  ]);
  const usage = parseUint(usageText) ?? 0n;
  const memStat = parseKeyedValues(statText);
  // total_* include descendants (what kubelet wants); plain keys are this cgroup only.
  const pick = (key: string) => memStat.get(`total_${key}`) ?? memStat.get(key) ?? 0n;
  const memswUsage = parseUint(memsw);
  return {
    usage,
    inactiveFile: pick('inactive_file'),
    rss: pick('rss'),
    pgfault: pick('pgfault'),
    pgmajfault: pick('pgmajfault'),
    limit: parseUint(limit),
    // memsw counts memory + swap; absent when swap accounting is off.
    swap: memswUsage === undefined ? undefined : memswUsage > usage ? memswUsage - usage : 0n,
  };
}

/** Working set = usage - inactive_file, floored at 0, as kubelet/containerd define it. */
function memoryStats(raw: RawMemory): CgroupStats['memory'] {
  const workingSet = raw.usage > raw.inactiveFile ? raw.usage - raw.inactiveFile : 0n;
  const limit = raw.limit !== undefined && raw.limit < UNLIMITED ? raw.limit : undefined;
  const memory: CgroupStats['memory'] = {
    usageBytes: Number(raw.usage),
    workingSetBytes: Number(workingSet),
    rssBytes: Number(raw.rss),
    pageFaults: Number(raw.pgfault),
    majorPageFaults: Number(raw.pgmajfault),
  };
  if (limit !== undefined) {
    memory.limitBytes = Number(limit);
    memory.availableBytes = Number(limit > workingSet ? limit - workingSet : 0n);
  }
  if (raw.swap !== undefined) memory.swapUsageBytes = Number(raw.swap);
  return memory;
}

async function readPids(dirs: CgroupDirs): Promise<CgroupStats['pids']> {
  const dir = dirs.version === 2 ? dirs.unified : dirs.dirs.pids;
  const [current, max] = await Promise.all([
    readProcessCount(dirs),
    dir === undefined ? undefined : readOptionalText(posix.join(dir, 'pids.max')),
  ]);
  const limit = parseUint(max);
  return limit === undefined ? { current: current ?? 0 } : { current: current ?? 0, limit: Number(limit) };
}

/** Synchronous, as the cgroup's files are read (see withinSlice). */
function anyExists(paths: string[]): Promise<boolean> {
  return withinSlice(() =>
    paths.some((path) => {
      try {
        return statSync(path).isDirectory();
      } catch (err) {
        if (!isAbsentError(err)) throw err;
        return false;
      }
    }),
  );
}
