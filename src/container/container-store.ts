import type { ContainerdClient } from '../containerd/client.js';
import { isCriError } from '../errors.js';
import type { Logger } from '../log.js';
import { ObjectIndex } from '../store/object-index.js';
import type { Container, ContainerMetadata } from './container.js';

export const CONTAINER_EXTENSION = 'io.cri-ts.container.metadata';
const CONTAINER_METADATA_TYPE = 'cri-ts.io/container-metadata/v1';

/**
 * A unary reply takes a few turns of the event loop (the message, then the
 * trailers once it is written); a write encoded and sent in between held
 * StartContainer's reply up by about 0.8 ms here.
 */
const BACKGROUND_WRITE_DELAY_MS = 5;

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
  /** Background writes due but not started, by container ID. */
  private readonly scheduled = new Map<string, { container: Container; timer: NodeJS.Timeout }>();

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
   * new state. The write starts a few milliseconds later, once the reply in
   * progress is out, and one write carries every change made meanwhile; a
   * container removed by then needs none. A failed write is logged; the
   * container's next write carries the state too.
   */
  persistInBackground(container: Container): void {
    if (this.scheduled.has(container.id)) return;
    const timer = setTimeout(() => this.startBackgroundWrite(container), BACKGROUND_WRITE_DELAY_MS);
    this.scheduled.set(container.id, { container, timer });
  }

  /** Drops a write still due (the record is being deleted). */
  cancelBackgroundWrite(id: string): void {
    clearTimeout(this.scheduled.get(id)?.timer);
    this.scheduled.delete(id);
  }

  /** Starts the writes still due and waits for every write under way (at shutdown). */
  async flush(): Promise<void> {
    for (const { container, timer } of this.scheduled.values()) {
      clearTimeout(timer);
      this.startBackgroundWrite(container);
    }
    await Promise.allSettled(this.writes.values());
  }

  private startBackgroundWrite(container: Container): void {
    this.scheduled.delete(container.id);
    if (!this.holds(container)) return;
    this.persist(container).catch((err: unknown) => {
      if (isCriError(err, 'NotFound')) return;
      this.log.error({ containerId: container.id, podId: container.metadata.sandboxId, err }, 'could not write the container state to containerd');
    });
  }
}
