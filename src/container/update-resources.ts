import { packJson } from '../containerd/any.js';
import { FailedPreconditionError } from '../errors.js';
import type { LinuxContainerResources__Output } from '../generated/cri/runtime/v1/LinuxContainerResources.js';
import type { Container } from './container.js';
import type { ContainerContext } from './container-context.js';
import { readStoredSpec, writeStoredSpec } from '../records/stored-spec.js';
import { withLinuxResources } from '../oci/resources.js';

const LINUX_RESOURCES_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';

function requireNotExited(container: Container): void {
  if (container.metadata.state === 'exited') throw new FailedPreconditionError(`container ${container.id} has exited; its resources can no longer change`);
}

/**
 * UpdateContainerResources on a locked container: NRI plugins may change
 * the resources asked for (or refuse the update) before they are applied.
 */
export async function updateContainerResources(ctx: ContainerContext, container: Container, resources: LinuxContainerResources__Output): Promise<void> {
  requireNotExited(container);
  const pod = ctx.pods.find(container.metadata.sandboxId);
  await applyContainerResources(ctx, container, await ctx.nri.updateContainer(pod, container, resources), { reported: true });
  await ctx.nri.postUpdateContainer(pod, container);
}

/**
 * Applies resources to a locked container: the new limits go into its spec
 * (so a restart keeps them) and, when it runs, to its cgroup through the
 * task. With `reported`, the status reports them afterwards; an NRI
 * plugin's own update of a container (which applies them without) leaves
 * the status with what kubelet asked for.
 */
export async function applyContainerResources(
  ctx: ContainerContext,
  container: Container,
  resources: LinuxContainerResources__Output,
  { reported }: { reported: boolean },
): Promise<void> {
  const { containerd } = ctx;
  requireNotExited(container);
  const spec = await readStoredSpec(containerd, container.id);
  withLinuxResources(spec, resources);
  if (container.metadata.state === 'running') {
    await containerd.tasks.Update({ containerId: container.id, resources: packJson(LINUX_RESOURCES_TYPE_URL, spec.linux?.resources ?? {}) });
  }
  await writeStoredSpec(containerd, container.id, spec);
  container.spec = spec;
  if (!reported) return;
  const config = container.metadata.config;
  container.metadata = { ...container.metadata, config: { ...config, linux: { securityContext: config.linux?.securityContext ?? null, resources } } };
  await ctx.store.persist(container);
}
