import { Field, type FieldOwnership } from './field-owners.js';
import type { ContainerAdjustment__Output, ContainerUpdate, ContainerUpdate__Output, LinuxResources__Output } from './nri-types.js';

const removal = (key: string): string | undefined => (key.startsWith('-') ? key.slice(1) : undefined);

/** Claims what one plugin's adjustment of container `id` sets; throws FieldConflictError when another plugin set it already. */
export function claimAdjustment(owners: FieldOwnership, id: string, adjust: ContainerAdjustment__Output, plugin: string): void {
  const entries = (field: number, keys: readonly string[]): void => {
    for (const key of keys) {
      const removed = removal(key);
      if (removed !== undefined) owners.clearEntry(id, field, removed, plugin);
    }
    for (const key of keys) if (removal(key) === undefined) owners.claimEntry(id, field, key, plugin);
  };
  entries(Field.Annotations, Object.keys(adjust.annotations));
  entries(Field.Mounts, adjust.mounts.map((m) => m.destination));
  entries(Field.Env, adjust.env.map((e) => e.key));
  if (adjust.args.length > 0) {
    if (adjust.args[0] === '') owners.clear(id, Field.Args, plugin);
    owners.claim(id, Field.Args, plugin);
  }
  const hooks = adjust.hooks;
  if (hooks && Object.values(hooks).some((list) => list.length > 0)) owners.accumulate(id, Field.OciHooks, plugin);
  for (const d of adjust.CDIDevices) owners.claimEntry(id, Field.CdiDevices, d.name, plugin);
  for (const l of adjust.rlimits) owners.claimEntry(id, Field.Rlimits, l.type, plugin);
  const linux = adjust.linux;
  if (!linux) return;
  entries(Field.Devices, linux.devices.map((d) => d.path));
  owners.claimResources(id, linux.resources, plugin);
  const simple: Array<[unknown, number]> = [
    [linux.cgroupsPath, Field.CgroupsPath],
    [linux.oomScoreAdj, Field.OomScoreAdj],
    [linux.ioPriority, Field.IoPriority],
    [linux.seccompPolicy, Field.SeccompPolicy],
    [linux.scheduler, Field.LinuxSched],
    [linux.memoryPolicy, Field.MemoryPolicy],
  ];
  for (const [value, field] of simple) if (value) owners.claim(id, field, plugin);
  for (const n of linux.namespaces) owners.claimEntry(id, Field.Namespace, removal(n.type) ?? n.type, plugin);
  entries(Field.Sysctl, Object.keys(linux.sysctl));
  entries(Field.LinuxNetDevices, Object.keys(linux.netDevices));
  const rdt = linux.rdt;
  if (rdt) {
    if (rdt.remove) for (const field of [Field.RdtClosID, Field.RdtSchemata, Field.RdtEnableMonitoring]) owners.clear(id, field, plugin);
    if (rdt.closId) owners.claim(id, Field.RdtClosID, plugin);
    if (rdt.schemata) owners.claim(id, Field.RdtSchemata, plugin);
    if (rdt.enableMonitoring) owners.claim(id, Field.RdtEnableMonitoring, plugin);
  }
}

export function emptyResources(): LinuxResources__Output {
  return { memory: null, cpu: null, hugepageLimits: [], blockioClass: null, rdtClass: null, unified: {}, devices: [], pids: null };
}

/** `changes` laid over `base`: every field a plugin set wins, lists of limits are replaced per page size. */
export function overlayResources(base: LinuxResources__Output, changes: LinuxResources__Output | null): LinuxResources__Output {
  if (!changes) return base;
  const set = <T extends object>(a: T | null, b: T | null): T | null => {
    if (!b) return a;
    if (!a) return { ...b };
    const out = { ...a } as Record<string, unknown>;
    for (const [k, v] of Object.entries(b)) if (v !== null && v !== '') out[k] = v;
    return out as T;
  };
  const hugepages = [...base.hugepageLimits.filter((h) => !changes.hugepageLimits.some((c) => c.pageSize === h.pageSize)), ...changes.hugepageLimits];
  return {
    memory: set(base.memory, changes.memory),
    cpu: set(base.cpu, changes.cpu),
    hugepageLimits: hugepages,
    blockioClass: changes.blockioClass ?? base.blockioClass,
    rdtClass: changes.rdtClass ?? base.rdtClass,
    unified: { ...base.unified, ...changes.unified },
    devices: [...base.devices, ...changes.devices],
    pids: changes.pids ?? base.pids,
  };
}

/**
 * The updates to existing containers several plugins asked for in answer to
 * one event, merged per container. A container no plugin may touch here
 * (the one being created) is refused; a conflicting field fails the event
 * unless the plugin said the update may fail.
 */
export class UpdateCollector {
  private readonly merged = new Map<string, { resources: LinuxResources__Output; ignoreFailure: boolean }>();

  constructor(
    private readonly owners: FieldOwnership,
    private readonly creating?: string,
  ) {}

  add(updates: readonly ContainerUpdate__Output[], plugin: string): void {
    for (const u of updates) {
      if (u.containerId === this.creating) throw new Error(`plugin ${plugin} asked to update container ${u.containerId} while it is being created`);
      const entry = this.merged.get(u.containerId) ?? { resources: emptyResources(), ignoreFailure: u.ignoreFailure };
      try {
        this.owners.claimResources(u.containerId, u.linux?.resources ?? null, plugin);
      } catch (err) {
        if (!u.ignoreFailure) throw err;
        continue;
      }
      entry.resources = overlayResources(entry.resources, u.linux?.resources ?? null);
      entry.ignoreFailure &&= u.ignoreFailure;
      this.merged.set(u.containerId, entry);
    }
  }

  /** The merged resources asked for container `id`, if any plugin asked. */
  resourcesFor(id: string): LinuxResources__Output | undefined {
    return this.merged.get(id)?.resources;
  }

  /** The merged updates, leaving out container `except` (whose update the caller applies itself). */
  updates(except?: string): ContainerUpdate[] {
    return [...this.merged]
      .filter(([id]) => id !== except)
      .map(([containerId, { resources, ignoreFailure }]) => ({ containerId, linux: { resources }, ignoreFailure }));
  }
}
