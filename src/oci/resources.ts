import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { LinuxContainerResources, LinuxContainerResources__Output } from '../generated/cri/runtime/v1/LinuxContainerResources.js';
import type { OciResources, OciSpec } from './oci-types.js';

/** What the node's cgroups can limit beyond cpu and memory. */
export interface ResourceHost {
  /** Swap can be limited (memory.memsw.* on v1, memory.swap.max on v2). */
  swap: boolean;
  /** The hugetlb controller is there. */
  hugetlb: boolean;
}

/** Looks at the node's cgroups (as containerd does); `root` is "/" but for tests. */
export function detectResourceHost(root = '/'): ResourceHost {
  const cgroupRoot = join(root, 'sys/fs/cgroup');
  const controllersFile = join(cgroupRoot, 'cgroup.controllers');
  if (existsSync(controllersFile)) {
    const controllers = readFileSync(controllersFile, 'utf8').split(/\s+/);
    // memory.swap.max is absent in the root cgroup; look at our own.
    let own = '/';
    try {
      const line = readFileSync(join(root, 'proc/self/cgroup'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith('0::'));
      if (line) own = line.slice(3);
    } catch {
      // keep "/"
    }
    return { swap: existsSync(join(cgroupRoot, own, 'memory.swap.max')), hugetlb: controllers.includes('hugetlb') };
  }
  return { swap: existsSync(join(cgroupRoot, 'memory/memory.memsw.limit_in_bytes')), hugetlb: existsSync(join(cgroupRoot, 'hugetlb')) };
}

let cachedHost: ResourceHost | undefined;

const FIELD = 'linux.resources';

/** An int64 from a CRI message (a decimal string) as a number; refuses what a number cannot hold exactly. */
function int64(value: string, field: string, { nonNegative = false } = {}): number {
  if (value === '' || value === '0') return 0;
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${FIELD}.${field} "${value}" is not an integer`);
  const big = BigInt(value);
  if (nonNegative && big < 0n) throw new InvalidArgumentError(`${FIELD}.${field} ${value} must not be negative`);
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`${FIELD}.${field} ${value} is out of range (at most ${Number.MAX_SAFE_INTEGER})`);
  }
  return Number(big);
}

/**
 * Applies a container's CRI resources to linux.resources, as containerd's
 * WithResources does: a zero field leaves the spec as it is (so this also
 * serves UpdateContainerResources on the stored spec); with a memory limit
 * and no swap limit, swap is limited to the memory limit (no swapping) where
 * the node can limit swap; a swap limit (-1 = unlimited) is used only where
 * it can; hugepage limits only where the hugetlb controller is (otherwise
 * ignored, like containerd's default tolerate_missing_hugetlb_controller);
 * unified entries are merged. oom_score_adj is not handled here.
 */
export function withLinuxResources(spec: OciSpec, resources: LinuxContainerResources__Output | null, host?: ResourceHost): void {
  if (!resources) return;
  const node = host ?? (cachedHost ??= detectResourceHost());
  const target: OciResources = ((spec.linux ??= {}).resources ??= {});
  const cpu = (target.cpu ??= {});
  const memory = (target.memory ??= {});

  const period = int64(resources.cpuPeriod, 'cpu_period', { nonNegative: true });
  const quota = int64(resources.cpuQuota, 'cpu_quota');
  const shares = int64(resources.cpuShares, 'cpu_shares', { nonNegative: true });
  const limit = int64(resources.memoryLimitInBytes, 'memory_limit_in_bytes', { nonNegative: true });
  const swap = int64(resources.memorySwapLimitInBytes, 'memory_swap_limit_in_bytes');

  if (period !== 0) cpu.period = period;
  if (quota !== 0) cpu.quota = quota;
  if (shares !== 0) cpu.shares = shares;
  if (resources.cpusetCpus !== '') cpu.cpus = resources.cpusetCpus;
  if (resources.cpusetMems !== '') cpu.mems = resources.cpusetMems;
  if (limit !== 0) {
    memory.limit = limit;
    if (swap === 0 && node.swap) memory.swap = limit;
  }
  if (swap !== 0 && node.swap) memory.swap = swap;

  if (node.hugetlb && resources.hugepageLimits.length > 0) {
    const hugepages = (target.hugepageLimits ??= []);
    for (const [i, h] of resources.hugepageLimits.entries()) {
      if (h.pageSize === '') throw new InvalidArgumentError(`${FIELD}.hugepage_limits[${i}].page_size must be set, e.g. "2MB"`);
      const entry = { pageSize: h.pageSize, limit: int64(h.limit, `hugepage_limits[${i}].limit`, { nonNegative: true }) };
      const at = hugepages.findIndex((x) => x.pageSize === h.pageSize);
      if (at === -1) hugepages.push(entry);
      else hugepages[at] = entry;
    }
  }

  const unified = Object.entries(resources.unified ?? {});
  if (unified.length > 0) target.unified = { ...(target.unified ?? {}), ...Object.fromEntries(unified) };

  if (Object.keys(cpu).length === 0) delete target.cpu;
  if (Object.keys(memory).length === 0) delete target.memory;
}

/** The spec's resources as CRI reports them in ContainerStatus.resources.linux (containerd's copyResourcesToStatus). */
export function resourcesToCri(spec: OciSpec): LinuxContainerResources {
  const r = spec.linux?.resources;
  return {
    cpuPeriod: r?.cpu?.period ?? 0,
    cpuQuota: r?.cpu?.quota ?? 0,
    cpuShares: r?.cpu?.shares ?? 0,
    cpusetCpus: r?.cpu?.cpus ?? '',
    cpusetMems: r?.cpu?.mems ?? '',
    memoryLimitInBytes: r?.memory?.limit ?? 0,
    memorySwapLimitInBytes: r?.memory?.swap ?? 0,
    oomScoreAdj: spec.process?.oomScoreAdj ?? 0,
    hugepageLimits: (r?.hugepageLimits ?? []).map((h) => ({ pageSize: h.pageSize, limit: h.limit })),
    unified: { ...(r?.unified ?? {}) },
  };
}
