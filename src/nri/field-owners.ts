import type { LinuxResources__Output, OwningPlugins } from './nri-types.js';

/** NRI's Field enum: what plugins can own in a container (FieldOwners keys). */
export const Field = {
  Annotations: 1,
  Mounts: 2,
  OciHooks: 3,
  Devices: 4,
  CdiDevices: 5,
  Env: 6,
  Args: 7,
  MemLimit: 8,
  MemReservation: 9,
  MemSwapLimit: 10,
  MemKernelLimit: 11,
  MemTCPLimit: 12,
  MemSwappiness: 13,
  MemDisableOomKiller: 14,
  MemUseHierarchy: 15,
  CPUShares: 16,
  CPUQuota: 17,
  CPUPeriod: 18,
  CPURealtimeRuntime: 19,
  CPURealtimePeriod: 20,
  CPUSetCPUs: 21,
  CPUSetMems: 22,
  PidsLimit: 23,
  HugepageLimits: 24,
  BlockioClass: 25,
  RdtClass: 26,
  CgroupsUnified: 27,
  CgroupsPath: 28,
  OomScoreAdj: 29,
  Rlimits: 30,
  IoPriority: 31,
  SeccompPolicy: 32,
  Namespace: 33,
  Sysctl: 34,
  LinuxNetDevices: 35,
  LinuxSched: 36,
  RdtClosID: 37,
  RdtSchemata: 38,
  RdtEnableMonitoring: 39,
  MemoryPolicy: 40,
} as const;

const FIELD_NAMES = new Map(Object.entries(Field).map(([name, n]) => [n as number, name]));

/** Two plugins set the same field (or entry) of one container; the step fails, as with containerd. */
export class FieldConflictError extends Error {
  override name = 'FieldConflictError';
}

/**
 * Which plugin set which field of which container, so that a second plugin
 * setting the same one is refused rather than silently winning. An entry a
 * plugin removed is marked "-plugin": that plugin may set it again.
 */
export class FieldOwnership {
  private readonly simple = new Map<string, Map<number, string>>();
  private readonly compound = new Map<string, Map<number, Map<string, string>>>();

  claim(id: string, field: number, plugin: string): void {
    const owners = this.simpleOf(id);
    this.check(owners.get(field), field, plugin, '');
    owners.set(field, plugin);
  }

  claimEntry(id: string, field: number, key: string, plugin: string): void {
    const owners = this.entriesOf(id, field);
    this.check(owners.get(key), field, plugin, ` ${key}`);
    owners.set(key, plugin);
  }

  clear(id: string, field: number, plugin: string): void {
    this.simpleOf(id).set(field, `-${plugin}`);
  }

  clearEntry(id: string, field: number, key: string, plugin: string): void {
    this.entriesOf(id, field).set(key, `-${plugin}`);
  }

  /** Fields every plugin may add to (hooks): the owners are listed together. */
  accumulate(id: string, field: number, plugin: string): void {
    const owners = this.simpleOf(id);
    const before = owners.get(field);
    owners.set(field, before ? `${before},${plugin}` : plugin);
  }

  /** Claims for the resource fields an adjustment or update sets. */
  claimResources(id: string, r: LinuxResources__Output | null, plugin: string): void {
    if (!r) return;
    const m = r.memory;
    const memory: Array<[unknown, number]> = m
      ? [
          [m.limit, Field.MemLimit],
          [m.reservation, Field.MemReservation],
          [m.swap, Field.MemSwapLimit],
          [m.kernel, Field.MemKernelLimit],
          [m.kernelTcp, Field.MemTCPLimit],
          [m.swappiness, Field.MemSwappiness],
          [m.disableOomKiller, Field.MemDisableOomKiller],
          [m.useHierarchy, Field.MemUseHierarchy],
        ]
      : [];
    const c = r.cpu;
    const cpu: Array<[unknown, number]> = c
      ? [
          [c.shares, Field.CPUShares],
          [c.quota, Field.CPUQuota],
          [c.period, Field.CPUPeriod],
          [c.realtimeRuntime, Field.CPURealtimeRuntime],
          [c.realtimePeriod, Field.CPURealtimePeriod],
          [c.cpus || null, Field.CPUSetCPUs],
          [c.mems || null, Field.CPUSetMems],
        ]
      : [];
    for (const [value, field] of [...memory, ...cpu, [r.blockioClass, Field.BlockioClass], [r.rdtClass, Field.RdtClass], [r.pids, Field.PidsLimit]] as Array<[unknown, number]>) {
      if (value) this.claim(id, field, plugin);
    }
    for (const h of r.hugepageLimits) this.claimEntry(id, Field.HugepageLimits, h.pageSize, plugin);
    for (const key of Object.keys(r.unified)) this.claimEntry(id, Field.CgroupsUnified, key, plugin);
  }

  /** As ValidateContainerAdjustmentRequest.owners carries it. */
  toWire(): OwningPlugins {
    const owners: NonNullable<OwningPlugins['owners']> = {};
    for (const id of new Set([...this.simple.keys(), ...this.compound.keys()])) {
      const compound: Record<number, { owners: Record<string, string> }> = {};
      for (const [field, entries] of this.compound.get(id) ?? []) compound[field] = { owners: Object.fromEntries(entries) };
      owners[id] = { simple: Object.fromEntries(this.simple.get(id) ?? []), compound };
    }
    return { owners };
  }

  private check(owner: string | undefined, field: number, plugin: string, what: string): void {
    if (owner === undefined || owner === `-${plugin}`) return;
    const other = owner.startsWith('-') ? owner.slice(1) : owner;
    throw new FieldConflictError(`plugins "${plugin}" and "${other}" both tried to set ${FIELD_NAMES.get(field) ?? field}${what}`);
  }

  private simpleOf(id: string): Map<number, string> {
    let owners = this.simple.get(id);
    if (!owners) this.simple.set(id, (owners = new Map()));
    return owners;
  }

  private entriesOf(id: string, field: number): Map<string, string> {
    let fields = this.compound.get(id);
    if (!fields) this.compound.set(id, (fields = new Map()));
    let owners = fields.get(field);
    if (!owners) fields.set(field, (owners = new Map()));
    return owners;
  }
}
