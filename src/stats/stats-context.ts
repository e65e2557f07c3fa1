import type { ContainerdClient } from '../containerd/client.js';
import { type CgroupLayout, hostCgroupLayout } from './cgroup-layout.js';
import { CpuRateTracker } from './cpu-rate.js';
import { WritableLayerUsage } from './writable-layer-usage.js';

/** What stats calls share: the host's cgroup layout, CPU rate memory, cached layer usage. */
export class StatsContext {
  readonly cpuRate = new CpuRateTracker();
  readonly writableLayers: WritableLayerUsage;

  constructor(containerd: ContainerdClient, collectPeriodMs: number) {
    this.writableLayers = new WritableLayerUsage(containerd, collectPeriodMs);
  }

  layout(): Promise<CgroupLayout> {
    return hostCgroupLayout();
  }
}
