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
