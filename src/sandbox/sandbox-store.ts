import type { ContainerdClient } from '../containerd/client.js';
import { AlreadyExistsError } from '../errors.js';
import { resolveIdPrefix } from '../store/id-index.js';
import { KeyedLock } from '../store/keyed-lock.js';
import { Sandbox, type SandboxMetadata } from './sandbox.js';

/** Labels and the extension under which cri-ts records its objects in containerd. */
export const CriTsLabel = {
  kind: 'io.cri-ts.kind',
  sandboxKind: 'sandbox',
  containerKind: 'container',
  sandboxId: 'io.cri-ts.sandbox-id',
} as const;

export const SANDBOX_EXTENSION = 'io.cri-ts.sandbox.metadata';
const SANDBOX_METADATA_TYPE = 'cri-ts.io/sandbox-metadata/v1';

export function encodeSandboxMetadata(metadata: SandboxMetadata): { type_url: string; value: Buffer } {
  return { type_url: SANDBOX_METADATA_TYPE, value: Buffer.from(JSON.stringify(metadata)) };
}

export function decodeSandboxMetadata(any: { type_url: string; value: Buffer } | undefined): SandboxMetadata | undefined {
  if (!any || any.type_url !== SANDBOX_METADATA_TYPE) return undefined;
  const parsed = JSON.parse(any.value.toString('utf8')) as SandboxMetadata;
  return parsed.version === 1 ? parsed : undefined;
}

/**
 * The in-memory index of pods: reads answer from here; containerd holds the
 * record (container extension) that rebuilds it after a restart. Work on one
 * pod is serialized through `lock`.
 */
export class SandboxStore {
  readonly lock = new KeyedLock();
  private readonly byId = new Map<string, Sandbox>();
  /** Names taken by pods being created or present, so two RunPodSandbox calls cannot both win. */
  private readonly names = new Map<string, string>();

  constructor(private readonly containerd: ContainerdClient) {}

  reserveName(nameKey: string, id: string): void {
    const holder = this.names.get(nameKey);
    if (holder !== undefined && holder !== id) {
      throw new AlreadyExistsError(`a pod sandbox named ${nameKey} already exists (${holder}); remove it first or raise metadata.attempt`);
    }
    this.names.set(nameKey, id);
  }

  releaseName(nameKey: string, id: string): void {
    if (this.names.get(nameKey) === id) this.names.delete(nameKey);
  }

  add(sandbox: Sandbox): void {
    this.byId.set(sandbox.id, sandbox);
    this.names.set(sandbox.nameKey, sandbox.id);
  }

  delete(id: string): void {
    const sandbox = this.byId.get(id);
    if (!sandbox) return;
    this.byId.delete(id);
    this.releaseName(sandbox.nameKey, id);
  }

  /** By full ID or unique prefix; NotFound otherwise. */
  get(idOrPrefix: string): Sandbox {
    return this.byId.get(resolveIdPrefix(this.byId.keys(), idOrPrefix, 'pod sandbox'))!;
  }

  find(idOrPrefix: string): Sandbox | undefined {
    try {
      return this.get(idOrPrefix);
    } catch {
      return undefined;
    }
  }

  list(): Sandbox[] {
    return [...this.byId.values()];
  }

  /** Writes the metadata back to containerd after it changed. */
  async persist(sandbox: Sandbox): Promise<void> {
    await this.containerd.containers.Update({
      container: { id: sandbox.id, extensions: { [SANDBOX_EXTENSION]: encodeSandboxMetadata(sandbox.metadata) } },
      updateMask: { paths: [`extensions.${SANDBOX_EXTENSION}`] },
    });
  }
}
