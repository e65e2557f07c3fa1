import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
import type { OciHook, OciHooks, OciMount, OciNamespaceType, OciSpec } from '../oci/oci-types.js';
import { clampOomScoreAdj } from '../oci/oom-score.js';
import { detectResourceHost, type ResourceHost } from '../oci/resources.js';
import type { ContainerAdjustment__Output, Hook__Output, Hooks__Output, KeyValue__Output, LinuxDevice__Output, LinuxResources__Output, Mount__Output } from './nri-types.js';

/** What applying an adjustment needs to know about the node and the config. */
export interface AdjustmentTarget {
  /** restrict_oom_score_adj as resolved: a plugin's oom_score_adj is clamped like kubelet's. */
  restrictOomScoreAdj: boolean;
  /** Where swap and hugepages can be limited; looked up when not given. */
  host?: ResourceHost;
}

/** A removal marker: the key with a leading "-" asks for the entry to go. */
function unmarked(key: string): { key: string; remove: boolean } {
  return key.startsWith('-') ? { key: key.slice(1), remove: true } : { key, remove: false };
}

/** An int64/uint64 of the wire (a decimal string) as a number, refused where a number cannot hold it exactly. */
export function wireNumber(value: string | number, field: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`NRI adjustment ${field} ${value} is beyond what cri-ts can write exactly (at most ${Number.MAX_SAFE_INTEGER})`);
  return n;
}

function adjustAnnotations(spec: OciSpec, annotations: Record<string, string>): void {
  for (const [k, v] of Object.entries(annotations)) {
    const { key, remove } = unmarked(k);
    if (remove) delete spec.annotations?.[key];
    else (spec.annotations ??= {})[key] = v;
  }
}

/** Changed variables keep their place, removed ones go, new ones are appended in the order given. */
function adjustEnv(spec: OciSpec, env: KeyValue__Output[]): void {
  if (env.length === 0 || !spec.process) return;
  const wanted = new Map(env.map((e) => [unmarked(e.key).key, e]));
  const result: string[] = [];
  for (const entry of spec.process.env ?? []) {
    const eq = entry.indexOf('=');
    const name = eq === -1 ? entry : entry.slice(0, eq);
    const change = wanted.get(name);
    if (!change) {
      result.push(entry);
      continue;
    }
    wanted.delete(name);
    if (!unmarked(change.key).remove) result.push(`${name}=${change.value}`);
  }
  for (const change of wanted.values()) if (!unmarked(change.key).remove) result.push(`${change.key}=${change.value}`);
  spec.process.env = result;
}

function ociHook(hook: Hook__Output): OciHook {
  return {
    path: hook.path,
    ...(hook.args.length ? { args: [...hook.args] } : {}),
    ...(hook.env.length ? { env: [...hook.env] } : {}),
    ...(hook.timeout ? { timeout: wireNumber(hook.timeout.value, 'hook timeout') } : {}),
  };
}

function adjustHooks(spec: OciSpec, hooks: Hooks__Output | null): void {
  if (!hooks) return;
  const kinds: Array<keyof OciHooks & keyof Hooks__Output> = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];
  for (const kind of kinds) {
    if (hooks[kind].length === 0) continue;
    ((spec.hooks ??= {})[kind] ??= []).push(...hooks[kind].map(ociHook));
  }
}

/** A device is replaced (or removed) by path, and allowed read-write (and mknod for block devices) in the device cgroup. */
function adjustDevices(spec: OciSpec, devices: LinuxDevice__Output[]): void {
  for (const d of devices) {
    const { key, remove } = unmarked(d.path);
    const linux = (spec.linux ??= {});
    linux.devices = (linux.devices ?? []).filter((existing) => existing.path !== key);
    if (remove) continue;
    const major = wireNumber(d.major, `device ${d.path} major`);
    const minor = wireNumber(d.minor, `device ${d.path} minor`);
    linux.devices.push({
      path: d.path,
      type: d.type,
      major,
      minor,
      ...(d.fileMode ? { fileMode: d.fileMode.value } : {}),
      ...(d.uid ? { uid: d.uid.value } : {}),
      ...(d.gid ? { gid: d.gid.value } : {}),
    });
    ((linux.resources ??= {}).devices ??= []).push({ allow: true, type: d.type, major, minor, access: d.type === 'b' ? 'rwm' : 'rw' });
  }
}

function adjustResources(spec: OciSpec, r: LinuxResources__Output | null, host: ResourceHost): void {
  if (!r) return;
  const resources = ((spec.linux ??= {}).resources ??= {});
  if (r.cpu) {
    const cpu = (resources.cpu ??= {});
    if (r.cpu.period) cpu.period = wireNumber(r.cpu.period.value, 'cpu period');
    if (r.cpu.quota) cpu.quota = wireNumber(r.cpu.quota.value, 'cpu quota');
    if (r.cpu.shares) cpu.shares = wireNumber(r.cpu.shares.value, 'cpu shares');
    if (r.cpu.cpus) cpu.cpus = r.cpu.cpus;
    if (r.cpu.mems) cpu.mems = r.cpu.mems;
    if (r.cpu.realtimeRuntime) cpu.realtimeRuntime = wireNumber(r.cpu.realtimeRuntime.value, 'cpu realtime runtime');
    if (r.cpu.realtimePeriod) cpu.realtimePeriod = wireNumber(r.cpu.realtimePeriod.value, 'cpu realtime period');
  }
  const limit = r.memory?.limit ? wireNumber(r.memory.limit.value, 'memory limit') : 0;
  if (limit !== 0) {
    // No swapping beyond the limit, as for a CRI memory limit (where swap can be limited at all).
    const memory = (resources.memory ??= {});
    memory.limit = limit;
    if (host.swap) memory.swap = limit;
  }
  if (host.hugetlb) {
    for (const h of r.hugepageLimits) {
      const list = (resources.hugepageLimits ??= []);
      const entry = { pageSize: h.pageSize, limit: wireNumber(h.limit, `hugepage limit ${h.pageSize}`) };
      const at = list.findIndex((x) => x.pageSize === h.pageSize);
      if (at === -1) list.push(entry);
      else list[at] = entry;
    }
  }
  if (Object.keys(r.unified).length > 0) resources.unified = { ...(resources.unified ?? {}), ...r.unified };
  if (r.pids) resources.pids = { limit: wireNumber(r.pids.limit, 'pids limit') };
  for (const d of r.devices) {
    (resources.devices ??= []).push({
      allow: d.allow,
      ...(d.type ? { type: d.type } : {}),
      ...(d.major ? { major: wireNumber(d.major.value, 'device rule major') } : {}),
      ...(d.minor ? { minor: wireNumber(d.minor.value, 'device rule minor') } : {}),
      ...(d.access ? { access: d.access } : {}),
    });
  }
  if (r.blockioClass?.value) {
    throw new FailedPreconditionError(`an NRI plugin asked for block I/O class "${r.blockioClass.value}"; cri-ts has no block I/O classes configured`);
  }
  if (r.rdtClass) {
    if (r.rdtClass.value === '') delete spec.linux!.intelRdt;
    else spec.linux!.intelRdt = { closID: r.rdtClass.value };
  }
}

function adjustRdt(spec: OciSpec, rdt: NonNullable<ContainerAdjustment__Output['linux']>['rdt']): void {
  if (!rdt) return;
  const linux = (spec.linux ??= {});
  if (rdt.remove) delete linux.intelRdt;
  if (rdt.closId) (linux.intelRdt ??= {}).closID = rdt.closId.value;
  if (rdt.schemata) (linux.intelRdt ??= {}).schemata = [...rdt.schemata.value];
  if (rdt.enableMonitoring) (linux.intelRdt ??= {}).enableMonitoring = rdt.enableMonitoring.value;
}

const depth = (path: string): number => path.split('/').filter(Boolean).length;

/**
 * A mount replaces any at its destination (or is removed); afterwards the
 * mounts are ordered parents first. A shared or slave mount makes the
 * rootfs propagation follow, as CRI mounts do.
 */
function adjustMounts(spec: OciSpec, mounts: Mount__Output[]): void {
  if (mounts.length === 0) return;
  let list: OciMount[] = spec.mounts ?? [];
  for (const m of mounts) {
    const { key, remove } = unmarked(m.destination);
    list = list.filter((existing) => existing.destination !== key);
    if (remove) continue;
    list.push({ destination: m.destination, ...(m.type ? { type: m.type } : {}), ...(m.source ? { source: m.source } : {}), options: [...m.options] });
    const linux = (spec.linux ??= {});
    if (m.options.includes('rshared')) linux.rootfsPropagation = 'rshared';
    else if (m.options.includes('rslave') && linux.rootfsPropagation !== 'rshared') linux.rootfsPropagation = 'rslave';
  }
  spec.mounts = list.sort((a, b) => depth(a.destination) - depth(b.destination) || (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
}

function adjustNamespaces(spec: OciSpec, namespaces: NonNullable<ContainerAdjustment__Output['linux']>['namespaces']): void {
  for (const n of namespaces) {
    const { key, remove } = unmarked(n.type);
    const linux = (spec.linux ??= {});
    linux.namespaces = (linux.namespaces ?? []).filter((existing) => existing.type !== key);
    if (!remove) linux.namespaces.push({ type: key as OciNamespaceType, ...(n.path ? { path: n.path } : {}) });
  }
}

function adjustMap(target: Record<string, string> | undefined, changes: Record<string, string>): Record<string, string> | undefined {
  if (Object.keys(changes).length === 0) return target;
  const result = { ...(target ?? {}) };
  for (const [k, v] of Object.entries(changes)) {
    const { key, remove } = unmarked(k);
    if (remove) delete result[key];
    else result[key] = v;
  }
  return result;
}

/**
 * Applies the adjustment NRI plugins agreed on to a container's OCI spec
 * before the container is created, field by field as containerd's NRI does.
 * What cri-ts cannot do (CDI devices, block I/O classes) fails the creation
 * with the reason rather than being dropped silently.
 */
export function applyContainerAdjustment(spec: OciSpec, adjust: ContainerAdjustment__Output, target: AdjustmentTarget): void {
  const host = target.host ?? detectResourceHost();
  adjustAnnotations(spec, adjust.annotations);
  adjustEnv(spec, adjust.env);
  if (adjust.args.length > 0 && spec.process) spec.process.args = [...adjust.args];
  adjustHooks(spec, adjust.hooks);
  if (adjust.CDIDevices.length > 0) {
    throw new FailedPreconditionError(`an NRI plugin asked for CDI devices (${adjust.CDIDevices.map((d) => d.name).join(', ')}); cri-ts does not support CDI devices`);
  }
  const linux = adjust.linux;
  if (linux) {
    adjustDevices(spec, linux.devices);
    if (linux.cgroupsPath) (spec.linux ??= {}).cgroupsPath = linux.cgroupsPath;
    if (linux.oomScoreAdj && spec.process) {
      spec.process.oomScoreAdj = clampOomScoreAdj(wireNumber(linux.oomScoreAdj.value, 'oom_score_adj'), target.restrictOomScoreAdj);
    }
    if (linux.ioPriority && spec.process) {
      if (linux.ioPriority.class === 'IOPRIO_CLASS_NONE') delete spec.process.ioPriority;
      else spec.process.ioPriority = { class: linux.ioPriority.class, priority: linux.ioPriority.priority };
    }
    if (linux.scheduler && spec.process) {
      const s = linux.scheduler;
      spec.process.scheduler = {
        policy: s.policy === 'SCHED_NONE' ? '' : s.policy,
        nice: s.nice,
        priority: s.priority,
        ...(s.flags.length ? { flags: [...s.flags] } : {}),
        runtime: wireNumber(s.runtime, 'scheduler runtime'),
        deadline: wireNumber(s.deadline, 'scheduler deadline'),
        period: wireNumber(s.period, 'scheduler period'),
      };
    }
    if (linux.seccompPolicy) {
      const p = linux.seccompPolicy;
      (spec.linux ??= {}).seccomp = {
        defaultAction: p.defaultAction,
        ...(p.defaultErrno ? { defaultErrnoRet: p.defaultErrno.value } : {}),
        architectures: [...p.architectures],
        flags: [...p.flags],
        ...(p.listenerPath ? { listenerPath: p.listenerPath } : {}),
        ...(p.listenerMetadata ? { listenerMetadata: p.listenerMetadata } : {}),
        syscalls: p.syscalls.map((s) => ({
          names: [...s.names],
          action: s.action,
          ...(s.errnoRet ? { errnoRet: s.errnoRet.value } : {}),
          args: s.args.map((a) => ({ index: a.index, value: wireNumber(a.value, 'seccomp arg value'), valueTwo: wireNumber(a.valueTwo, 'seccomp arg value_two'), op: a.op })),
        })),
      };
    }
    adjustNamespaces(spec, linux.namespaces);
    const sysctl = adjustMap(spec.linux?.sysctl, linux.sysctl);
    if (sysctl) (spec.linux ??= {}).sysctl = sysctl;
    for (const [k, device] of Object.entries(linux.netDevices)) {
      const { key, remove } = unmarked(k);
      const net = ((spec.linux ??= {}).netDevices ??= {});
      if (remove) delete net[key];
      else net[key] = device?.name ? { name: device.name } : {};
    }
    if (linux.memoryPolicy) {
      const mp = linux.memoryPolicy;
      (spec.linux ??= {}).memoryPolicy = { mode: mp.mode, nodes: mp.nodes, ...(mp.flags.length ? { flags: [...mp.flags] } : {}) };
    }
    adjustResources(spec, linux.resources, host);
    adjustRdt(spec, linux.rdt);
  }
  adjustMounts(spec, adjust.mounts);
  for (const l of adjust.rlimits) {
    const process = spec.process;
    if (!process) break;
    const limit = { type: l.type, hard: wireNumber(l.hard, `rlimit ${l.type} hard`), soft: wireNumber(l.soft, `rlimit ${l.type} soft`) };
    process.rlimits = [...(process.rlimits ?? []).filter((r) => r.type !== l.type), limit];
  }
}
