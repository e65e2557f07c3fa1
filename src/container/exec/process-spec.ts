import { CriError } from '../../errors.js';
import type { OciProcess } from '../spec/oci-types.js';
import type { Container } from '../container.js';
import type { ContainerRuntime } from '../container-runtime.js';

export const OCI_PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';

/**
 * The container's process spec, which an exec'd process inherits (user,
 * env, capabilities, cwd) with its own args: kept in memory from creation,
 * read back from containerd after a restart.
 */
export async function containerProcessSpec(runtime: ContainerRuntime, container: Container): Promise<OciProcess> {
  if (container.processSpec) return container.processSpec;
  const { container: record } = await runtime.pods.containerd.containers.Get({ id: container.id });
  const spec = record?.spec ? (JSON.parse(record.spec.value.toString('utf8')) as { process?: OciProcess }) : undefined;
  if (!spec?.process) throw new CriError('Internal', `container ${container.id} has no process in its OCI spec`);
  container.processSpec = spec.process;
  return spec.process;
}
