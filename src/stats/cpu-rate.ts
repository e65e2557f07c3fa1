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
  private lastSweepNs = 0n;

  /** Records the sample; returns nanocores since the previous one, or undefined for the first sample. */
  update(key: string, timestampNs: bigint, usageCoreNanoSeconds: bigint): bigint | undefined {
    this.sweep(timestampNs);
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

  /**
   * Drops samples of keys not read for STALE_NS: containers and pods that are
   * gone (kubelet polls live ones every few seconds), which nobody forgets
   * one by one. Runs at most once per SWEEP_EVERY_NS.
   */
  private sweep(nowNs: bigint): void {
    if (nowNs - this.lastSweepNs < SWEEP_EVERY_NS) return;
    this.lastSweepNs = nowNs;
    for (const [key, sample] of this.previous) if (nowNs - sample.timestampNs > STALE_NS) this.previous.delete(key);
  }

  get size(): number {
    return this.previous.size;
  }
}

const SWEEP_EVERY_NS = 60n * 1_000_000_000n;
export const STALE_NS = 10n * 60n * 1_000_000_000n;
