import type { ContainerdClient } from '../containerd/client.js';
import { isCriError } from '../errors.js';
import type { Logger } from '../log.js';
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
  /** The last metadata write of each container still under way: writes of one container run in order. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly containerd: ContainerdClient,
    private readonly log: Logger,
  ) {
    super('container', 'remove it first or raise metadata.attempt');
  }

  ofSandbox(sandboxId: string): Container[] {
    return this.list().filter((c) => c.metadata.sandboxId === sandboxId);
  }

  /**
   * Writes the container's metadata to its containerd record, as it is when
   * the write runs. Writes of one container queue behind each other, so an
   * older state never lands after a newer one.
   */
  persist(container: Container): Promise<void> {
    const id = container.id;
    const write = (this.writes.get(id) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() =>
        this.containerd.containers.Update({
          container: { id, extensions: { [CONTAINER_EXTENSION]: encodeContainerMetadata(container.metadata) } },
          updateMask: { paths: [`extensions.${CONTAINER_EXTENSION}`] },
        }),
      )
      .then(() => undefined);
    this.writes.set(id, write);
    const forget = (): void => {
      if (this.writes.get(id) === write) this.writes.delete(id);
    };
    write.then(forget, forget);
    return write;
  }

  /**
   * persist() without waiting: the in-memory index already answers with the
   * new state. A failed write is logged; the container's next write carries
   * the state too. A container removed meanwhile needs no write.
   */
  persistInBackground(container: Container): void {
    // After the reply in progress is sent: the write's encoding would otherwise hold it up.
    setImmediate(() => {
      this.persist(container).catch((err: unknown) => {
        if (isCriError(err, 'NotFound')) return;
        this.log.error({ containerId: container.id, podId: container.metadata.sandboxId, err }, 'could not write the container state to containerd');
      });
    });
  }
}
