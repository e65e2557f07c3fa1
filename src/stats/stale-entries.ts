/** An entry that was measured (or sampled) at `timestampNs`. */
export interface Timestamped {
  timestampNs: bigint;
}

const SWEEP_EVERY_NS = 60n * 1_000_000_000n;
/** Ten minutes: kubelet polls every live pod and container every few seconds. */
const STALE_NS = 10n * 60n * 1_000_000_000n;

/**
 * Drops a cache's entries of pods and containers that are gone (none is read
 * any more and nobody forgets them one by one): those older than STALE_NS,
 * looked for at most once a minute.
 */
export class StaleEntrySweep {
  private lastSweepNs = 0n;

  run(entries: Map<string, Timestamped>, nowNs: bigint): void {
    if (nowNs - this.lastSweepNs < SWEEP_EVERY_NS) return;
    this.lastSweepNs = nowNs;
    for (const [key, entry] of entries) if (nowNs - entry.timestampNs > STALE_NS) entries.delete(key);
  }
}
