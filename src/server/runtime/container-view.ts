import type { Container } from '../../container/container.js';
import { criSignalName } from '../../container/signals.js';
import type { Container as CriContainer } from '../../generated/cri/runtime/v1/Container.js';
import type { ContainerStatus } from '../../generated/cri/runtime/v1/ContainerStatus.js';

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
    mounts: metadata.config.mounts,
    logPath: metadata.logPath,
    ...(resources ? { resources: { linux: resources } } : {}),
    user: { linux: { uid: metadata.user.uid, gid: metadata.user.gid, supplementalGroups: metadata.user.additionalGids } },
    stopSignal: criSignalName(metadata.config.stopSignal),
  };
}
