import type { LinuxContainerResources__Output } from '../generated/cri/runtime/v1/LinuxContainerResources.js';
import type { OciHook, OciHooks, OciLinuxDevice, OciMount, OciResources, OciSeccomp, OciSpec } from '../oci/oci-types.js';
import type { Hook, Hooks, LinuxDevice, LinuxResources, LinuxResources__Output, LinuxSeccomp, Mount, POSIXRlimit } from './nri-types.js';

// How the parts of an OCI spec (and CRI resources) read as NRI messages, and NRI resources as CRI's.

export function nriMounts(mounts: readonly OciMount[] | undefined): Mount[] {
  return (mounts ?? []).map((m) => ({ destination: m.destination, type: m.type ?? '', source: m.source ?? '', options: [...(m.options ?? [])] }));
}

function nriHook(hook: OciHook): Hook {
  return { path: hook.path, args: [...(hook.args ?? [])], env: [...(hook.env ?? [])], timeout: hook.timeout === undefined ? null : { value: hook.timeout } };
}

export function nriHooks(hooks: OciHooks | undefined): Hooks | null {
  if (!hooks) return null;
  const list = (h: OciHook[] | undefined): Hook[] => (h ?? []).map(nriHook);
  return {
    prestart: list(hooks.prestart),
    createRuntime: list(hooks.createRuntime),
    createContainer: list(hooks.createContainer),
    startContainer: list(hooks.startContainer),
    poststart: list(hooks.poststart),
    poststop: list(hooks.poststop),
  };
}

export function nriDevices(devices: readonly OciLinuxDevice[] | undefined): LinuxDevice[] {
  return (devices ?? []).map((d) => ({
    path: d.path,
    type: d.type,
    major: d.major ?? 0,
    minor: d.minor ?? 0,
    fileMode: d.fileMode === undefined ? null : { value: d.fileMode },
    uid: d.uid === undefined ? null : { value: d.uid },
    gid: d.gid === undefined ? null : { value: d.gid },
  }));
}

const optional = <T>(value: T | undefined): { value: T } | null => (value === undefined ? null : { value });

export function nriResources(r: OciResources | undefined): LinuxResources | null {
  if (!r) return null;
  const { memory, cpu } = r;
  return {
    memory: memory
      ? {
          limit: optional(memory.limit),
          reservation: optional(memory.reservation),
          swap: optional(memory.swap),
          kernel: optional(memory.kernel),
          kernelTcp: optional(memory.kernelTCP),
          swappiness: optional(memory.swappiness),
          disableOomKiller: optional(memory.disableOOMKiller),
          useHierarchy: optional(memory.useHierarchy),
        }
      : null,
    cpu: cpu
      ? {
          shares: optional(cpu.shares),
          quota: optional(cpu.quota),
          period: optional(cpu.period),
          realtimeRuntime: optional(cpu.realtimeRuntime),
          realtimePeriod: optional(cpu.realtimePeriod),
          cpus: cpu.cpus ?? '',
          mems: cpu.mems ?? '',
        }
      : null,
    hugepageLimits: (r.hugepageLimits ?? []).map((h) => ({ pageSize: h.pageSize, limit: h.limit })),
    unified: { ...(r.unified ?? {}) },
    devices: (r.devices ?? []).map((d) => ({ allow: d.allow, type: d.type ?? '', major: optional(d.major), minor: optional(d.minor), access: d.access ?? '' })),
    pids: r.pids ? { limit: r.pids.limit } : null,
  };
}

/** CRI resources (pod overhead and totals, UpdateContainerResources) as NRI's, the way containerd converts them. */
export function nriResourcesFromCri(c: LinuxContainerResources__Output | null | undefined): LinuxResources | null {
  if (!c) return null;
  return {
    cpu: { shares: { value: c.cpuShares }, quota: { value: c.cpuQuota }, period: { value: c.cpuPeriod }, cpus: c.cpusetCpus, mems: c.cpusetMems },
    memory: { limit: { value: c.memoryLimitInBytes } },
    hugepageLimits: c.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: h.limit })),
    unified: { ...c.unified },
  };
}

export function nriSeccomp(seccomp: OciSeccomp | undefined): LinuxSeccomp | null {
  if (!seccomp) return null;
  return {
    defaultAction: seccomp.defaultAction,
    defaultErrno: optional(seccomp.defaultErrnoRet),
    architectures: [...(seccomp.architectures ?? [])],
    flags: [...(seccomp.flags ?? [])],
    listenerPath: seccomp.listenerPath ?? '',
    listenerMetadata: seccomp.listenerMetadata ?? '',
    syscalls: (seccomp.syscalls ?? []).map((s) => ({
      names: [...s.names],
      action: s.action,
      errnoRet: optional(s.errnoRet),
      args: (s.args ?? []).map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op })),
    })),
  };
}

export function nriRlimits(spec: OciSpec): POSIXRlimit[] {
  return (spec.process?.rlimits ?? []).map((l) => ({ type: l.type, hard: l.hard, soft: l.soft }));
}

/** NRI resources as the CRI update they ask for (zero fields leave the container's as they are), as containerd converts them. */
export function criResourcesFromNri(r: LinuxResources__Output): LinuxContainerResources__Output {
  return {
    cpuPeriod: r.cpu?.period?.value ?? '0',
    cpuQuota: r.cpu?.quota?.value ?? '0',
    cpuShares: r.cpu?.shares?.value ?? '0',
    memoryLimitInBytes: r.memory?.limit?.value ?? '0',
    oomScoreAdj: '0',
    cpusetCpus: r.cpu?.cpus ?? '',
    cpusetMems: r.cpu?.mems ?? '',
    hugepageLimits: r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: h.limit })),
    unified: { ...r.unified },
    memorySwapLimitInBytes: '0',
  };
}
