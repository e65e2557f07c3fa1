/**
 * Labels cri-ts puts on the containerd records of its pods and containers:
 * recovery lists records by kind, and a container's record and snapshot
 * name the pod they belong to.
 */
export const CriTsLabel = {
  kind: 'io.cri-ts.kind',
  sandboxKind: 'sandbox',
  containerKind: 'container',
  sandboxId: 'io.cri-ts.sandbox-id',
} as const;
