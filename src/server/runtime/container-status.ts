import { InvalidArgumentError } from '../../errors.js';
import type { ContainerStatusRequest__Output } from '../../generated/cri/runtime/v1/ContainerStatusRequest.js';
import type { ContainerStatusResponse } from '../../generated/cri/runtime/v1/ContainerStatusResponse.js';
import type { ServerContext } from '../context.js';
import { toContainerStatus } from './container-view.js';

/** Answered from the index; only `verbose` reads the spec back from containerd (once, after a restart). */
export async function containerStatus(ctx: ServerContext, request: ContainerStatusRequest__Output): Promise<ContainerStatusResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  const container = ctx.containers.get(request.containerId);
  const info: Record<string, string> = {};
  if (request.verbose) {
    const runtimeSpec = await ctx.containers.spec(container).catch(() => undefined);
    info.info = JSON.stringify({
      sandboxID: container.metadata.sandboxId,
      pid: container.pid,
      snapshotKey: container.id,
      snapshotter: container.metadata.snapshotter,
      config: container.metadata.config,
      runtimeSpec,
      // What CreateContainer and StartContainer spent their time on (null when not seen by this cri-ts process).
      createPhases: container.createPhases ?? null,
      startPhases: container.startPhases ?? null,
    });
  }
  return { status: toContainerStatus(container), info };
}
