import type { ContainerdClient } from '../containerd/client.js';
import { ObjectIndex } from '../store/object-index.js';
import type { Container, ContainerMetadata } from './container.js';

export const CONTAINER_EXTENSION = 'io.cri-ts.container.metadata';
const CONTAINER_METADATA_TYPE = 'cri-ts.io/container-metadata/v1';

export function encodeContainerMetadata(metadata: ContainerMetadata): { type_url: string; value: Buffer } {
  return { type_url: CONTAINER_METADATA_TYPE, value: Buffer.from(JSON.stringify(metadata)) };
}

export function decodeContainerMetadata(any: { type_url: string; value: Buffer } | undefined): ContainerMetadata | undefined {
  if (!any || any.type_url !== CONTAINER_METADATA_TYPE) return undefined;
  const parsed = JSON.parse(any.value.toString('utf8')) as ContainerMetadata;
  return parsed.version === 1 ? parsed : undefined;
}

/**
 * The in-memory index of containers: ListContainers and ContainerStatus
 * answer from here without a containerd round trip; containerd holds the
 * record that rebuilds it.
 */
export class ContainerStore extends ObjectIndex<Container> {
  constructor(private readonly containerd: ContainerdClient) {
    super('container', 'remove it first or raise metadata.attempt');
  }

  ofSandbox(sandboxId: string): Container[] {
    return this.list().filter((c) => c.metadata.sandboxId === sandboxId);
  }

  async persist(container: Container): Promise<void> {
    await this.containerd.containers.Update({
      container: { id: container.id, extensions: { [CONTAINER_EXTENSION]: encodeContainerMetadata(container.metadata) } },
      updateMask: { paths: [`extensions.${CONTAINER_EXTENSION}`] },
    });
  }
}
