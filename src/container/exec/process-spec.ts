import { CriError } from '../../errors.js';
import type { OciProcess, OciSpec } from '../../oci/oci-types.js';
import { readStoredSpec } from '../../records/stored-spec.js';
import type { Container } from '../container.js';
import type { ContainerContext } from '../container-context.js';

export const OCI_PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';

/**
 * The container's process spec, which an exec'd process inherits (user,
 * env, capabilities, cwd) with its own args: kept in memory from creation,
 * read back from containerd after a restart.
 */
export async function containerProcessSpec(ctx: ContainerContext, container: Container): Promise<OciProcess> {
  const spec = await containerSpec(ctx, container);
  if (!spec.process) throw new CriError('Internal', `container ${container.id} has no process in its OCI spec`);
  return spec.process;
}

/** The container's OCI spec, from memory or (once, after a restart) from containerd. */
export async function containerSpec(ctx: ContainerContext, container: Container): Promise<OciSpec> {
  container.spec ??= await readStoredSpec(ctx.containerd, container.id);
  return container.spec;
}
