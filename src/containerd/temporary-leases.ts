import { randomBytes } from 'node:crypto';
import { isCriError } from '../errors.js';
import type { LeasesDefinition } from '../generated/containerd/containerd/services/leases/v1/Leases.js';
import type { UnaryApi } from './connection.js';
import { GcLabel } from './gc-labels.js';

/** Every lease cri-ts makes starts with this, so one from an earlier run is known as ours. */
export const TEMPORARY_LEASE_PREFIX = 'cri-ts-';

const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 30_000;

/**
 * Leases held only while one operation runs (a pull, a container's creation).
 * The ID is chosen here, not by containerd, so a lease whose Create reply was
 * lost, or whose Delete failed while containerd was away, is still known:
 * its deletion is retried until containerd answers, and a sweep removes those
 * an earlier cri-ts left. The expiry label is the last resort only.
 */
export class TemporaryLeases {
  private readonly held = new Set<string>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  /** Releases started by releaseSoon and not yet answered. */
  private readonly releasing = new Set<Promise<void>>();

  constructor(
    private readonly leases: UnaryApi<LeasesDefinition>,
    private readonly firstRetryMs = FIRST_RETRY_MS,
  ) {}

  async create(purpose: string, expiresInMs: number): Promise<string> {
    const id = `${TEMPORARY_LEASE_PREFIX}${purpose}-${randomBytes(8).toString('hex')}`;
    this.held.add(id);
    try {
      await this.leases.Create({ id, labels: { [GcLabel.expire]: new Date(Date.now() + expiresInMs).toISOString() } });
      return id;
    } catch (err) {
      // containerd may have made it before the reply was lost.
      this.release(id).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Deletes the lease; `sync` waits for garbage collection of what only it held.
   * When containerd does not answer, the deletion is retried in the background and this rejects.
   */
  async release(id: string, options: { sync?: boolean } = {}): Promise<void> {
    this.held.delete(id);
    try {
      await this.delete(id, options.sync ?? false);
    } catch (err) {
      this.retryLater(id, this.firstRetryMs);
      throw err;
    }
  }

  /**
   * Deletes the lease without the caller waiting: for a lease whose work is
   * recorded already (a pull's image records hold what it protected), so the
   * answer need not wait for one more round trip. Whoever needs the lease
   * gone (a synchronous collection) waits for releasesSettled first.
   */
  releaseSoon(id: string, onError: (err: unknown) => void): void {
    const release = this.release(id).catch(onError);
    this.releasing.add(release);
    void release.finally(() => this.releasing.delete(release));
  }

  /** Settles once every releaseSoon started so far has been answered (or failed, and is retried in the background). */
  async releasesSettled(): Promise<void> {
    await Promise.all(this.releasing);
  }

  /**
   * Has containerd collect garbage now rather than at its own pace (which
   * after a slow collection can be tens of seconds): a lease deleted with
   * `sync` runs the collection before Delete answers.
   */
  async collectGarbage(): Promise<void> {
    await this.release(await this.create('gc', 60_000), { sync: true });
  }

  /** Deletes leases of ours that nothing holds (left by an earlier run, or whose deletion is still due); returns how many. */
  async sweep(): Promise<number> {
    const { leases } = await this.leases.List({ filters: [] });
    let deleted = 0;
    for (const { id } of leases) {
      if (!id.startsWith(TEMPORARY_LEASE_PREFIX) || this.held.has(id)) continue;
      await this.delete(id, false);
      this.cancelRetry(id);
      deleted += 1;
    }
    return deleted;
  }

  /** Leases whose deletion is still being retried. */
  get pendingDeletions(): number {
    return this.retries.size;
  }

  private async delete(id: string, sync: boolean): Promise<void> {
    try {
      await this.leases.Delete({ id, sync });
    } catch (err) {
      if (!isCriError(err, 'NotFound')) throw err;
    }
  }

  private retryLater(id: string, delayMs: number): void {
    this.cancelRetry(id);
    const timer = setTimeout(() => {
      this.retries.delete(id);
      this.delete(id, false).catch(() => this.retryLater(id, Math.min(delayMs * 2, LONGEST_RETRY_MS)));
    }, delayMs);
    timer.unref();
    this.retries.set(id, timer);
  }

  private cancelRetry(id: string): void {
    clearTimeout(this.retries.get(id));
    this.retries.delete(id);
  }
}
