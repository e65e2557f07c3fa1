import type { Container, ContainerMetadata } from '../../container/container.js';
import { criSignalName } from '../../container/signals.js';
import type { Container as CriContainer } from '../../generated/cri/runtime/v1/Container.js';
import type { ContainerStatus } from '../../generated/cri/runtime/v1/ContainerStatus.js';
import type { Mount } from '../../generated/cri/runtime/v1/Mount.js';

const CRI_STATE = {
  created: 'CONTAINER_CREATED',
  running: 'CONTAINER_RUNNING',
  exited: 'CONTAINER_EXITED',
  unknown: 'CONTAINER_UNKNOWN',
} as const;

export function criContainerState(container: Container): (typeof CRI_STATE)[keyof typeof CRI_STATE] {
  return CRI_STATE[container.metadata.state];
}

export function toCriContainer(container: Container): CriContainer {
  const { metadata } = container;
  return {
    id: container.id,
    podSandboxId: metadata.sandboxId,
    metadata: metadata.config.metadata,
    image: { image: metadata.imageName },
    imageRef: metadata.imageRef,
    imageId: metadata.imageId,
    state: criContainerState(container),
    createdAt: metadata.createdAtNs,
    labels: metadata.config.labels,
    annotations: metadata.config.annotations,
  };
}

/**
 * The config's mounts, each image mount with the ID of the image it
 * mounted as its image_ref (kubelet's containerStatuses[].imageID is that
 * ID too; KEP-5365 reports it in the pod's volume status).
 */
export function statusMounts(metadata: Pick<ContainerMetadata, 'config' | 'imageMounts'>): Mount[] {
  const imageIds = new Map((metadata.imageMounts ?? []).map((m) => [m.index, m.imageId]));
  return metadata.config.mounts.map((mount, index) => {
    const imageId = imageIds.get(index);
    return imageId && mount.image ? { ...mount, image: { ...mount.image, imageRef: imageId } } : mount;
  });
}

export function toContainerStatus(container: Container): ContainerStatus {
  const { metadata } = container;
  const resources = metadata.config.linux?.resources;
  return {
    id: container.id,
    metadata: metadata.config.metadata,
    state: criContainerState(container),
    createdAt: metadata.createdAtNs,
    startedAt: metadata.startedAtNs,
    finishedAt: metadata.finishedAtNs,
    exitCode: metadata.exitCode,
    image: { image: metadata.imageName },
    imageRef: metadata.imageRef,
    imageId: metadata.imageId,
    reason: metadata.reason,
    message: metadata.message,
    labels: metadata.config.labels,
    annotations: metadata.config.annotations,
    mounts: statusMounts(metadata),
    logPath: metadata.logPath,
    ...(resources ? { resources: { linux: resources } } : {}),
    user: { linux: { uid: metadata.user.uid, gid: metadata.user.gid, supplementalGroups: metadata.user.additionalGids } },
    stopSignal: criSignalName(metadata.config.stopSignal),
  };
}
