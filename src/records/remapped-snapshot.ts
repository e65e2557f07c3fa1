import { randomBytes } from 'node:crypto';
import type { ContainerdClient } from '../containerd/client.js';
import { CriError, errorMessage, ignoreNotFound, isCriError } from '../errors.js';
import { runCommandOrThrow } from '../host/command-runner.js';
import type { Logger } from '../log.js';
import type { OciIdMapping } from '../oci/oci-types.js';
import { USERNS_FIELD } from '../oci/user-namespace.js';
import { shiftOwnership } from './id-shift.js';
import { withSnapshotMounted } from './snapshot-mount.js';

export interface RemapRequest {
  snapshotter: string;
  /** The image's committed snapshot (its top chain ID; '' for an image without layers). */
  parent: string;
  uidMapping: OciIdMapping;
  gidMapping: OciIdMapping;
  /** Holds the snapshots made here until the caller's container snapshot references them. */
  lease: string;
  /** Where the snapshots are mounted while they are filled. */
  scratchDir: string;
  log: Logger;
}

/** The committed snapshot holding `parent`'s files owned by the mapping's host IDs; its name says what it is. */
export function remappedSnapshotKey(request: Pick<RemapRequest, 'parent' | 'uidMapping' | 'gidMapping'>): string {
  const { uidMapping: u, gidMapping: g } = request;
  return `cri-ts-userns/u${u.hostID}+${u.size}/g${g.hostID}+${g.size}/${request.parent || 'empty'}`;
}

/** Copying an image can take a while; past this it is given up. */
const COPY_TIMEOUT_MS = 10 * 60_000;

/** Remaps already under way in this process, by key: two pods with one mapping share one copy. */
const inFlight = new Map<string, Promise<void>>();

/**
 * The parent a pod in its own user namespace puts its container snapshots
 * on: a copy of the image's files, owned by the pod's host IDs, committed
 * once per image and mapping and reused (containerd's client does the same
 * for a snapshotter without idmapped layers, like containerd 1.6's overlayfs:
 * it chowns, cri-ts copies first). The copy is flat: chowning an overlay
 * would copy every file up anyway, and every name of a hard link apart.
 * Nothing holds the copy but the snapshots on it (and the caller's lease
 * meanwhile): containerd collects it once its last container is removed.
 */
export async function remappedParent(containerd: ContainerdClient, request: RemapRequest): Promise<string> {
  const key = remappedSnapshotKey(request);
  const flightKey = `${request.snapshotter}/${key}`;
  let made = inFlight.get(flightKey);
  if (!made) {
    made = findOrMake(containerd, request, key).finally(() => inFlight.delete(flightKey));
    inFlight.set(flightKey, made);
  }
  await made;
  // Each caller's own lease holds the copy until its container snapshot on it references it.
  await containerd.leases.AddResource({ id: request.lease, resource: { id: key, type: `snapshots/${request.snapshotter}` } });
  return key;
}

async function findOrMake(containerd: ContainerdClient, request: RemapRequest, key: string): Promise<void> {
  const found = await containerd.snapshots.Stat({ snapshotter: request.snapshotter, key }).then(
    () => true,
    (err: unknown) => {
      if (isCriError(err, 'NotFound')) return false;
      throw err;
    },
  );
  if (!found) await makeCopy(containerd, request, key);
}

async function makeCopy(containerd: ContainerdClient, request: RemapRequest, key: string): Promise<void> {
  const { snapshotter, lease, scratchDir } = request;
  const suffix = randomBytes(6).toString('hex');
  const sourceKey = `${key}/source-${suffix}`;
  const copyKey = `${key}/copy-${suffix}`;
  const started = Date.now();
  try {
    const source = (await containerd.snapshots.View({ snapshotter, key: sourceKey, parent: request.parent }, { lease })).mounts;
    const target = (await containerd.snapshots.Prepare({ snapshotter, key: copyKey, parent: '' }, { lease })).mounts;
    const files = await withSnapshotMounted(source, scratchDir, 'ro', (from) =>
      withSnapshotMounted(target, scratchDir, 'rw', async (to) => {
        await runCommandOrThrow('cp', ['-a', '--', `${from}/.`, `${to}/`], { timeoutMs: COPY_TIMEOUT_MS });
        return shiftOwnership(to, request.uidMapping, request.gidMapping, `${USERNS_FIELD}.uids`);
      }),
    );
    // Another cri-ts committed the same copy meanwhile: that one serves as well.
    await containerd.snapshots.Commit({ snapshotter, name: key, key: copyKey }, { lease }).catch((err: unknown) => {
      if (!isCriError(err, 'AlreadyExists')) throw err;
    });
    request.log.info({ snapshot: key, files, ms: Date.now() - started }, "image copied for a user namespace's IDs");
  } catch (err) {
    if (err instanceof CriError) throw err;
    throw new CriError('Internal', `copying image snapshot ${request.parent} for the pod's user namespace: ${errorMessage(err)}`, { cause: err });
  } finally {
    // The view goes; the copy is gone already once committed.
    await Promise.all([sourceKey, copyKey].map((k) => containerd.snapshots.Remove({ snapshotter, key: k }).catch(ignoreNotFound)));
  }
}
