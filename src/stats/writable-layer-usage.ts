import { nowEpochNs } from '../clock.js';
import type { ContainerdClient } from '../containerd/client.js';
import { StaleEntrySweep } from './stale-entries.js';

export interface LayerUsage {
  usedBytes: number;
  inodesUsed: number;
  timestampNs: bigint;
}

/**
 * A container's writable layer usage, from containerd's snapshotter. Measuring
 * walks the layer's files, so a figure is reused for `maxAgeMs` and refreshed
 * in the background: stats calls answer at once with the last figure.
 */
export class WritableLayerUsage {
  private readonly cache = new Map<string, LayerUsage>();
  private readonly refreshing = new Set<string>();
  private readonly stale = new StaleEntrySweep();

  constructor(
    private readonly containerd: ContainerdClient,
    private readonly maxAgeMs: number,
  ) {}

  /** The last figure (measured now if there is none yet). */
  async get(snapshotter: string, key: string): Promise<LayerUsage | undefined> {
    this.stale.run(this.cache, nowEpochNs());
    const cached = this.cache.get(key);
    if (!cached) return this.measure(snapshotter, key);
    if (nowEpochNs() - cached.timestampNs > BigInt(this.maxAgeMs) * 1_000_000n) {
      void this.measure(snapshotter, key);
    }
    return cached;
  }

  forget(key: string): void {
    this.cache.delete(key);
  }

  private async measure(snapshotter: string, key: string): Promise<LayerUsage | undefined> {
    if (this.refreshing.has(key)) return this.cache.get(key);
    this.refreshing.add(key);
    try {
      const usage = await this.containerd.snapshots.Usage({ snapshotter, key });
      const figure = { usedBytes: Number(usage.size), inodesUsed: Number(usage.inodes), timestampNs: nowEpochNs() };
      this.cache.set(key, figure);
      return figure;
    } catch {
      return this.cache.get(key);
    } finally {
      this.refreshing.delete(key);
    }
  }
}
