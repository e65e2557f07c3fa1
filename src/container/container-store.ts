import type { ContainerdClient } from '../containerd/client.js';
import { AlreadyExistsError } from '../errors.js';
import { resolveIdPrefix } from '../store/id-index.js';
import { KeyedLock } from '../store/keyed-lock.js';
import { Container, type ContainerMetadata } from './container.js';

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
 * record that rebuilds it. Work on one container is serialized by `lock`.
 */
export class ContainerStore {
  readonly lock = new KeyedLock();
  private readonly byId = new Map<string, Container>();
  private readonly names = new Map<string, string>();

  constructor(private readonly containerd: ContainerdClient) {}

  reserveName(nameKey: string, id: string): void {
    const holder = this.names.get(nameKey);
    if (holder !== undefined && holder !== id) {
      throw new AlreadyExistsError(`a container named ${nameKey} already exists in this pod (${holder}); remove it first or raise metadata.attempt`);
    }
    this.names.set(nameKey, id);
  }

  releaseName(nameKey: string, id: string): void {
    if (this.names.get(nameKey) === id) this.names.delete(nameKey);
  }

  add(container: Container): void {
    this.byId.set(container.id, container);
    this.names.set(container.nameKey, container.id);
  }

  delete(id: string): void {
    const container = this.byId.get(id);
    if (!container) return;
    this.byId.delete(id);
    this.releaseName(container.nameKey, id);
  }

  get(idOrPrefix: string): Container {
    return this.byId.get(resolveIdPrefix(this.byId.keys(), idOrPrefix, 'container'))!;
  }

  find(idOrPrefix: string): Container | undefined {
    try {
      return this.get(idOrPrefix);
    } catch {
      return undefined;
    }
  }

  list(): Container[] {
    return [...this.byId.values()];
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
