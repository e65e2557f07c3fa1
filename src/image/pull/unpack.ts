import { randomBytes } from 'node:crypto';
import type { ContainerdClient } from '../../containerd/client.js';
import type { Mount__Output } from '../../generated/containerd/containerd/types/Mount.js';
import { CriError, isCriError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Descriptor } from '../manifest.js';
import { GcLabel } from '../../containerd/gc-labels.js';
import { chainIds } from '../chain-ids.js';

export interface UnpackRequest {
  snapshotter: string;
  layers: Descriptor[];
  /** The config's rootfs.diff_ids: what each applied layer must hash to. */
  diffIds: string[];
  lease: string;
  log: Logger;
  /** Settles once layer `index`'s blob is in the content store (it may still be downloading when unpacking starts). */
  layerReady?: (index: number) => Promise<void>;
}

/**
 * Unpacks layers into committed snapshots named by chain ID, as containerd's
 * unpacker does: each layer is applied by the diff service onto an active
 * snapshot prepared on its parent, checked against its diff ID, and committed.
 * Layers already unpacked (by an earlier pull of another image) are reused.
 * A layer's snapshot is prepared while its blob may still be downloading;
 * only the apply waits for it.
 * Answers once the last layer is committed, with the top chain ID (the
 * image's root filesystem); labelling the layers with their diff IDs may
 * still be under way: `labelled` settles when it is done, and never rejects,
 * so the caller can record the image meanwhile.
 */
export async function unpackLayers(containerd: ContainerdClient, request: UnpackRequest): Promise<{ chainId: string; labelled: Promise<void> }> {
  const { snapshotter, layers, diffIds, lease, log, layerReady } = request;
  if (layers.length !== diffIds.length) {
    throw new CriError('FailedPrecondition', `image config lists ${diffIds.length} diff IDs for ${layers.length} layers`);
  }
  const chain = chainIds(diffIds);
  // Labelling a layer with its diff ID waits for nothing else: done alongside the next layers.
  const labelled: Array<Promise<unknown>> = [];
  for (const [i, layer] of layers.entries()) {
    const chainId = chain[i]!;
    const parent = i > 0 ? chain[i - 1]! : '';
    const key = `extract-${randomBytes(6).toString('hex')}-${chainId}`;
    const mounts = await prepareExtraction(containerd, { snapshotter, key, parent, chainId, lease });
    if (!mounts) continue;
    try {
      await layerReady?.(i);
      const started = Date.now();
      const { applied } = await containerd.diff.Apply(
        { diff: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size, annotations: layer.annotations ?? {} }, mounts },
        { lease },
      );
      if (applied?.digest !== diffIds[i]) {
        throw new CriError('FailedPrecondition', `layer ${layer.digest} unpacks to ${applied?.digest ?? 'nothing'}, but the image config expects ${diffIds[i]}`);
      }
      await containerd.snapshots.Commit({ snapshotter, name: chainId, key }, { lease });
      log.debug({ layer: layer.digest, chainId, ms: Date.now() - started }, 'layer unpacked');
    } catch (err) {
      await containerd.snapshots.Remove({ snapshotter, key }).catch(() => undefined);
      // Another pull committed the same chain meanwhile: theirs is as good as ours.
      if (isCriError(err, 'AlreadyExists')) continue;
      throw err;
    }
    const update = containerd.content
      .Update({ info: { digest: layer.digest, labels: { [GcLabel.uncompressed]: diffIds[i]! } }, updateMask: { paths: [`labels.${GcLabel.uncompressed}`] } })
      .catch((err: unknown) => log.warn({ layer: layer.digest, err }, 'could not label a layer with its diff ID'));
    labelled.push(update);
  }
  return { chainId: chain.at(-1) ?? '', labelled: Promise.all(labelled).then(() => undefined) };
}

/** Tries before giving up when the chain snapshot keeps appearing and vanishing under us (a pull racing a removal). */
const PREPARE_ATTEMPTS = 3;

/**
 * An active snapshot to apply the layer onto, or undefined when the chain
 * snapshot exists already. Prepare names the chain it is for: containerd
 * answers AlreadyExists when that chain is committed (an earlier pull,
 * another running now, or one the garbage collector has not taken yet),
 * which counts as unpacked once Stat confirms it, as in containerd's own
 * unpacker. No Stat first: Prepare answers that case itself, one round trip
 * fewer for every layer not yet unpacked.
 */
async function prepareExtraction(
  containerd: ContainerdClient,
  target: { snapshotter: string; key: string; parent: string; chainId: string; lease: string },
): Promise<Mount__Output[] | undefined> {
  const { snapshotter, key, parent, chainId, lease } = target;
  for (let attempt = 1; ; attempt++) {
    try {
      const { mounts } = await containerd.snapshots.Prepare({ snapshotter, key, parent, labels: { 'containerd.io/snapshot.ref': chainId } }, { lease });
      return mounts;
    } catch (err) {
      if (!isCriError(err, 'AlreadyExists')) throw err;
      if (await snapshotExists(containerd, snapshotter, chainId)) return undefined;
      if (attempt >= PREPARE_ATTEMPTS) throw err;
    }
  }
}

async function snapshotExists(containerd: ContainerdClient, snapshotter: string, key: string): Promise<boolean> {
  try {
    await containerd.snapshots.Stat({ snapshotter, key });
    return true;
  } catch (err) {
    if (isCriError(err, 'NotFound')) return false;
    throw err;
  }
}
