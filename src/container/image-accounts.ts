import { randomBytes } from 'node:crypto';
import type { ContainerdClient } from '../containerd/client.js';
import { removeSnapshot, withCreationLease } from '../records/container-records.js';
import { type GroupEntry, type PasswdEntry, parseGroup, parsePasswd } from './image-user.js';
import { readRootfsFile } from './rootfs-files.js';

/** An image's /etc/passwd and /etc/group, parsed. */
export interface ImageAccounts {
  passwd: PasswdEntry[];
  group: GroupEntry[];
}

/** Enough for every image a node keeps at once; beyond it the oldest entry is read again when next needed. */
const MAX_ENTRIES = 256;

/**
 * The accounts of each image snapshot, read once: a committed image snapshot
 * never changes, so containers created from the same image need no read of
 * their own, and CreateContainer can write its record before preparing the
 * container's snapshot. The first read goes through a short-lived view of the
 * image snapshot under a lease; nothing is mounted.
 */
export class ImageAccountsCache {
  private readonly entries = new Map<string, Promise<ImageAccounts>>();

  constructor(private readonly containerd: ContainerdClient) {}

  /** The accounts of the committed snapshot `chainId` ('' for an image without layers). */
  get(snapshotter: string, chainId: string): Promise<ImageAccounts> {
    const key = `${snapshotter}/${chainId}`;
    const cached = this.entries.get(key);
    if (cached) return cached;
    const reading = this.read(snapshotter, chainId);
    this.entries.set(key, reading);
    reading.catch(() => this.entries.delete(key));
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return reading;
  }

  private read(snapshotter: string, chainId: string): Promise<ImageAccounts> {
    return withCreationLease(this.containerd, async (lease) => {
      const key = `cri-ts-accounts-${randomBytes(8).toString('hex')}`;
      const { mounts } = await this.containerd.snapshots.View({ snapshotter, key, parent: chainId }, { lease });
      try {
        const [passwd, group] = await Promise.all([readRootfsFile(mounts, 'etc/passwd'), readRootfsFile(mounts, 'etc/group')]);
        return { passwd: parsePasswd(passwd), group: parseGroup(group) };
      } finally {
        await removeSnapshot(this.containerd, snapshotter, key);
      }
    });
  }
}
