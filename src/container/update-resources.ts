import { packJson } from '../containerd/any.js';
import { FailedPreconditionError } from '../errors.js';
import type { LinuxContainerResources__Output } from '../generated/cri/runtime/v1/LinuxContainerResources.js';
import type { Container } from './container.js';
import type { ContainerContext } from './container-context.js';
import { readStoredSpec, writeStoredSpec } from '../records/stored-spec.js';
import { withLinuxResources } from '../oci/resources.js';

const LINUX_RESOURCES_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';

/**
 * UpdateContainerResources on a locked container: the new limits go into its
 * spec (so a restart keeps them) and, when it runs, to its cgroup through the
 * task; the status reports them afterwards.
 */
export async function updateContainerResources(ctx: ContainerContext, container: Container, resources: LinuxContainerResources__Output): Promise<void> {
  const { containerd } = ctx;
  if (container.metadata.state === 'exited') throw new FailedPreconditionError(`container ${container.id} has exited; its resources can no longer change`);
  const spec = await readStoredSpec(containerd, container.id);
  withLinuxResources(spec, resources);
  if (container.metadata.state === 'running') {
    await containerd.tasks.Update({ containerId: container.id, resources: packJson(LINUX_RESOURCES_TYPE_URL, spec.linux?.resources ?? {}) });
  }
  await writeStoredSpec(containerd, container.id, spec);
  container.spec = spec;
  const config = container.metadata.config;
  container.metadata = { ...container.metadata, config: { ...config, linux: { securityContext: config.linux?.securityContext ?? null, resources } } };
  await ctx.store.persist(container);
}
