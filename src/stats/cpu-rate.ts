import { StaleEntrySweep } from './stale-entries.js';

interface Sample {
  timestampNs: bigint;
  usageCoreNanoSeconds: bigint;
}

/**
 * CRI's usageNanoCores: cumulative CPU time is all the cgroup gives, so the rate
 * comes from the previous sample of the same container/sandbox (as containerd's CRI does).
 */
export class CpuRateTracker {
  private readonly previous = new Map<string, Sample>();
  private readonly stale = new StaleEntrySweep();

  /** Records the sample; returns nanocores since the previous one, or undefined for the first sample. */
  update(key: string, timestampNs: bigint, usageCoreNanoSeconds: bigint): bigint | undefined {
    this.stale.run(this.previous, timestampNs);
    const before = this.previous.get(key);
    if (before !== undefined && timestampNs <= before.timestampNs) return undefined; // keep the older sample
    this.previous.set(key, { timestampNs, usageCoreNanoSeconds });
    // A counter that went backwards means a new cgroup under the same key: start over.
    if (before === undefined || usageCoreNanoSeconds < before.usageCoreNanoSeconds) return undefined;
    return ((usageCoreNanoSeconds - before.usageCoreNanoSeconds) * 1_000_000_000n) / (timestampNs - before.timestampNs);
  }

  forget(key: string): void {
    this.previous.delete(key);
  }

  get size(): number {
    return this.previous.size;
  }
}
