import { ignoreNotFound } from '../errors.js';
import { GcLabel } from '../image/pull/gc-labels.js';
import type { ContainerdClient } from './client.js';

/** Long enough for one creation; a crashed cri-ts leaves the lease to expire. */
const CREATION_LEASE_MS = 10 * 60_000;

/**
 * Runs `work` under a short-lived lease: garbage collection may run between
 * preparing a snapshot and creating the container record that keeps it.
 */
export async function withCreationLease<T>(containerd: ContainerdClient, work: (lease: string) => Promise<T>): Promise<T> {
  const { lease } = await containerd.leases.Create({ labels: { [GcLabel.expire]: new Date(Date.now() + CREATION_LEASE_MS).toISOString() } });
  try {
    return await work(lease!.id);
  } finally {
    await containerd.leases.Delete({ id: lease!.id }).catch(() => undefined);
  }
}

/** Removes a snapshot; already gone is fine. */
export async function removeSnapshot(containerd: ContainerdClient, snapshotter: string, key: string): Promise<void> {
  await containerd.snapshots.Remove({ snapshotter, key }).catch(ignoreNotFound);
}

/** Deletes a container record; already gone is fine. */
export async function deleteContainerRecord(containerd: ContainerdClient, id: string): Promise<void> {
  await containerd.containers.Delete({ id }).catch(ignoreNotFound);
}

/**
 * A pod's pause container or an app container leaves: its record and its
 * snapshot, both at once (containerd would keep a snapshot the record no
 * longer names only until its next garbage collection).
 */
export async function deleteContainerAndSnapshot(containerd: ContainerdClient, id: string, snapshotter: string): Promise<void> {
  await Promise.all([deleteContainerRecord(containerd, id), removeSnapshot(containerd, snapshotter, id)]);
}
