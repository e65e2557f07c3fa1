import { createHash } from 'node:crypto';
import type { Descriptor, ImageIndex, ImageManifest } from '../manifest.js';

/**
 * Labels containerd's garbage collector follows from one object to what it
 * keeps alive: an image record keeps its target, an index its manifests, a
 * manifest its config and layers, a config its unpacked snapshot chain.
 */
export const GcLabel = {
  contentRef: (name: string): string => `containerd.io/gc.ref.content.${name}`,
  snapshotRef: (snapshotter: string): string => `containerd.io/gc.ref.snapshot.${snapshotter}`,
  expire: 'containerd.io/gc.expire',
  /** The registry and repository a blob came from, as containerd records it. */
  distributionSource: (host: string): string => `containerd.io/distribution.source.${host}`,
  /** A layer blob's uncompressed digest (its diff ID). */
  uncompressed: 'containerd.io/uncompressed',
} as const;

export function indexChildLabels(fetched: Descriptor[]): Record<string, string> {
  return Object.fromEntries(fetched.map((d, i) => [GcLabel.contentRef(`m.${i}`), d.digest]));
}

export function manifestChildLabels(manifest: ImageManifest): Record<string, string> {
  return {
    [GcLabel.contentRef('config')]: manifest.config.digest,
    ...Object.fromEntries(manifest.layers.map((l, i) => [GcLabel.contentRef(`l.${i}`), l.digest])),
  };
}

export function childLabels(document: ImageManifest | ImageIndex, fetchedChildren: Descriptor[]): Record<string, string> {
  return document.kind === 'index' ? indexChildLabels(fetchedChildren) : manifestChildLabels(document);
}

/** OCI chain IDs: the snapshot names of each layer stacked on those below it. */
export function chainIds(diffIds: readonly string[]): string[] {
  const chain: string[] = [];
  for (const diffId of diffIds) {
    const below = chain.at(-1);
    chain.push(below === undefined ? diffId : `sha256:${createHash('sha256').update(`${below} ${diffId}`).digest('hex')}`);
  }
  return chain;
}
