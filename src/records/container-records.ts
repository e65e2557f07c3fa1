import { ignoreNotFound, isCriError } from '../errors.js';
import type { Mount__Output } from '../generated/containerd/containerd/types/Mount.js';
import type { PhaseTimer } from '../metrics/phase-timer.js';
import type { UndoStack } from '../undo-stack.js';
import { OCI_SPEC_TYPE_URL, packJson } from '../containerd/any.js';
import type { ContainerdClient } from '../containerd/client.js';
import type { Logger } from '../log.js';
import type { OciIdMapping } from '../oci/oci-types.js';
import type { PodUserNamespace } from '../oci/user-namespace.js';
import { remappedParent } from './remapped-snapshot.js';

/** Long enough for one creation; a lease a crashed cri-ts left is swept when it starts again, or expires. */
const CREATION_LEASE_MS = 10 * 60_000;

/**
 * Runs `work` under a short-lived lease: garbage collection may run between
 * preparing a snapshot and creating the container record that keeps it.
 */
export async function withCreationLease<T>(containerd: ContainerdClient, work: (lease: string) => Promise<T>): Promise<T> {
  const lease = await containerd.temporaryLeases.create('create', CREATION_LEASE_MS);
  try {
    return await work(lease);
  } finally {
    // A deletion containerd did not answer is retried in the background.
    await containerd.temporaryLeases.release(lease).catch(() => undefined);
  }
}

/** A pause or app container's record and the writable snapshot (keyed by its ID) it runs on. */
export interface ContainerRecordRequest {
  id: string;
  labels: Record<string, string>;
  /** The image name the record shows. */
  image: string;
  runtime: { name: string; options?: { type_url: string; value: Buffer } };
  spec: object;
  snapshotter: string;
  /** The image's committed snapshot (its top chain ID). */
  parent: string;
  snapshotLabels: Record<string, string>;
  extensions: Record<string, { type_url: string; value: Buffer }>;
  /** For a pod in its own user namespace: the snapshot goes on a copy of the image owned by the pod's host IDs. */
  remap?: { uidMapping: OciIdMapping; gidMapping: OciIdMapping; scratchDir: string; log: Logger };
}

/** The `remap` of a request for a pod in its own user namespace; none for the node's. */
export function remapFor(userns: PodUserNamespace, scratchDir: string, log: Logger): Pick<ContainerRecordRequest, 'remap'> {
  return userns.mode === 'pod' ? { remap: { uidMapping: userns.uidMapping, gidMapping: userns.gidMapping, scratchDir, log } } : {};
}

/**
 * Writes the container record, then prepares the snapshot it names, each with
 * its undo on `undo`; returns the snapshot's mounts. The record comes first:
 * containerd's garbage collector keeps a snapshot a container names, so no
 * lease is needed between the two. Times record_create and snapshot_prepare on `phases`.
 */
export async function createRecordAndSnapshot(
  containerd: ContainerdClient,
  request: ContainerRecordRequest,
  undo: UndoStack,
  phases: PhaseTimer,
): Promise<Mount__Output[]> {
  const { remap } = request;
  if (!remap) return createRecordAndSnapshotOn(containerd, request, request.parent, undo, phases);
  // The lease holds the copy until the snapshot on it is there.
  return withCreationLease(containerd, async (lease) => {
    const parent = await remappedParent(containerd, { ...remap, snapshotter: request.snapshotter, parent: request.parent, lease });
    return createRecordAndSnapshotOn(containerd, request, parent, undo, phases);
  });
}

async function createRecordAndSnapshotOn(
  containerd: ContainerdClient,
  request: ContainerRecordRequest,
  parent: string,
  undo: UndoStack,
  phases: PhaseTimer,
): Promise<Mount__Output[]> {
  const { id, snapshotter } = request;
  undo.push(`delete container record ${id}`, () => deleteContainerRecord(containerd, id));
  await phases.time('record_create', () =>
    containerd.containers.Create({
      container: {
        id,
        labels: request.labels,
        image: request.image,
        runtime: request.runtime,
        spec: packJson(OCI_SPEC_TYPE_URL, request.spec),
        snapshotter,
        snapshotKey: id,
        extensions: request.extensions,
      },
    }),
  );
  undo.push(`remove snapshot ${id}`, () => removeSnapshot(containerd, snapshotter, id));
  const { mounts } = await phases.time('snapshot_prepare', () => containerd.snapshots.Prepare({ snapshotter, key: id, parent, labels: request.snapshotLabels }));
  return mounts;
}

/**
 * A read-only view of a committed snapshot chain (the top is `parent`), or
 * the one already made under `key` (a creation retried, a start after a
 * restart); returns its mounts.
 */
export async function viewSnapshot(containerd: ContainerdClient, snapshotter: string, key: string, parent: string, labels: Record<string, string>): Promise<Mount__Output[]> {
  try {
    return (await containerd.snapshots.View({ snapshotter, key, parent, labels })).mounts;
  } catch (err) {
    if (!isCriError(err, 'AlreadyExists')) throw err;
    return (await containerd.snapshots.Mounts({ snapshotter, key })).mounts;
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

/** Whether containerd still has the record `id`. */
export async function recordExists(containerd: ContainerdClient, id: string): Promise<boolean> {
  return containerd.containers.Get({ id }).then(
    () => true,
    (err: unknown) => {
      if (isCriError(err, 'NotFound')) return false;
      throw err;
    },
  );
}
