import { CriError } from '../../errors.js';
import type { OciProcess, OciSpec } from '../spec/oci-types.js';
import type { Container } from '../container.js';
import type { ContainerRuntime } from '../container-runtime.js';

export const OCI_PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';

/**
 * The container's process spec, which an exec'd process inherits (user,
 * env, capabilities, cwd) with its own args: kept in memory from creation,
 * read back from containerd after a restart.
 */
export async function containerProcessSpec(runtime: ContainerRuntime, container: Container): Promise<OciProcess> {
  const spec = await containerSpec(runtime, container);
  if (!spec.process) throw new CriError('Internal', `container ${container.id} has no process in its OCI spec`);
  return spec.process;
}

/** The container's OCI spec, from memory or (once, after a restart) from containerd. */
export async function containerSpec(runtime: ContainerRuntime, container: Container): Promise<OciSpec> {
  if (container.spec) return container.spec;
  const { container: record } = await runtime.pods.containerd.containers.Get({ id: container.id });
  if (!record?.spec) throw new CriError('Internal', `container ${container.id} has no OCI spec in containerd`);
  container.spec = JSON.parse(record.spec.value.toString('utf8')) as OciSpec;
  return container.spec;
}
