import type { ContainerdClient } from '../containerd/client.js';
import { ObjectIndex } from '../store/object-index.js';
import type { PodLookup, Sandbox, SandboxMetadata } from './sandbox.js';

/** The container extension under which a pod's metadata is kept in its containerd record. */
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
 * record (container extension) that rebuilds it after a restart.
 */
export class SandboxStore extends ObjectIndex<Sandbox> implements PodLookup {
  constructor(private readonly containerd: ContainerdClient) {
    super('pod sandbox', 'remove it first or raise metadata.attempt');
  }

  /** Writes the metadata back to containerd after it changed. */
  async persist(sandbox: Sandbox): Promise<void> {
    await this.containerd.containers.Update({
      container: { id: sandbox.id, extensions: { [SANDBOX_EXTENSION]: encodeSandboxMetadata(sandbox.metadata) } },
      updateMask: { paths: [`extensions.${SANDBOX_EXTENSION}`] },
    });
  }
}
