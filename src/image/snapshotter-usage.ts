import { nowEpochNs } from '../clock.js';
import type { ContainerdClient } from '../containerd/client.js';
import { CriError, isCriError } from '../errors.js';

export interface SnapshotterUsage {
  /** Where the snapshotter keeps its layers, as containerd's introspection exports it. */
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
  /** When it was measured, in nanoseconds since the epoch. */
  timestampNs: bigint;
}

/**
 * Space taken by the snapshotter's layers in cri-ts's namespace: the sum of
 * containerd's per-snapshot usage (committed layers' figures are stored by
 * containerd, so this does not walk their trees). Measured at most every
 * `maxAgeMs`, since kubelet asks often and the answer changes slowly.
 */
export class SnapshotterUsageMeter {
  private cached: SnapshotterUsage | undefined;
  private inFlight: Promise<SnapshotterUsage> | undefined;
  private root: string | undefined;
  private measuredAt = 0n;

  constructor(
    private readonly containerd: ContainerdClient,
    private readonly snapshotter: string,
    private readonly maxAgeMs = 5000,
  ) {}

  async current(): Promise<SnapshotterUsage> {
    const ageNs = this.cached ? process.hrtime.bigint() - this.measuredAt : 0n;
    if (this.cached && ageNs < BigInt(this.maxAgeMs) * 1_000_000n) return this.cached;
    this.inFlight ??= this.measure().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Where the snapshotter keeps its layers (asked of containerd once), without measuring them. */
  mountpoint(): Promise<string> {
    return this.snapshotterRoot();
  }

  /** Forgets the last figure: an image came or went. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async measure(): Promise<SnapshotterUsage> {
    const mountpoint = await this.snapshotterRoot();
    let usedBytes = 0;
    let inodesUsed = 0;
    for await (const page of this.containerd.listSnapshots({ snapshotter: this.snapshotter })) {
      for (const info of page.info) {
        try {
          const usage = await this.containerd.snapshots.Usage({ snapshotter: this.snapshotter, key: info.name });
          usedBytes += Number(usage.size);
          inodesUsed += Number(usage.inodes);
        } catch (err) {
          // Removed between List and Usage: it no longer takes space.
          if (!isCriError(err, 'NotFound')) throw err;
        }
      }
    }
    this.measuredAt = process.hrtime.bigint();
    this.cached = {
      mountpoint,
      usedBytes,
      inodesUsed,
      timestampNs: nowEpochNs(),
    };
    return this.cached;
  }

  private async snapshotterRoot(): Promise<string> {
    if (this.root) return this.root;
    const { plugins } = await this.containerd.introspection.Plugins({
      filters: [`type==io.containerd.snapshotter.v1,id==${this.snapshotter}`],
    });
    const plugin = plugins[0];
    if (!plugin) {
      throw new CriError('FailedPrecondition', `containerd has no snapshotter "${this.snapshotter}"; set containerd.snapshotter to one it loads (see ctr plugins ls)`);
    }
    if (plugin.initErr && plugin.initErr.code !== 0) {
      throw new CriError('FailedPrecondition', `containerd's snapshotter "${this.snapshotter}" failed to load: ${plugin.initErr.message}`);
    }
    this.root = plugin.exports.root ?? '';
    return this.root;
  }
}
