import { nowEpochNs } from '../../clock.js';
import { InvalidArgumentError } from '../../errors.js';
import type { PodSandboxStatusRequest__Output } from '../../generated/cri/runtime/v1/PodSandboxStatusRequest.js';
import type { PodSandboxStatusResponse } from '../../generated/cri/runtime/v1/PodSandboxStatusResponse.js';
import type { OciSpec } from '../../container/spec/oci-types.js';
import type { ServerContext } from '../context.js';
import { toPodSandboxStatus } from './pod-sandbox-view.js';

export async function podSandboxStatus(ctx: ServerContext, request: PodSandboxStatusRequest__Output): Promise<PodSandboxStatusResponse> {
  await ctx.recovered;
  if (request.podSandboxId === '') throw new InvalidArgumentError('pod_sandbox_id is empty');
  const sandbox = ctx.pods.store.get(request.podSandboxId);
  const { metadata } = sandbox;
  const info: Record<string, string> = {};
  if (request.verbose) {
    if (!sandbox.spec) {
      const record = await ctx.containerd.containers.Get({ id: sandbox.id }).catch(() => undefined);
      if (record?.container?.spec) sandbox.spec = JSON.parse(record.container.spec.value.toString('utf8')) as OciSpec;
    }
    sandbox.networkAttachments ??= (await ctx.pods.networks.cachedStatus(sandbox.id).catch(() => undefined))?.attachments;
    const runtimeSpec = sandbox.spec;
    info.info = JSON.stringify({
      pid: sandbox.pid,
      netNamespacePath: metadata.netnsPath,
      netNamespaceClosed: metadata.stopped,
      image: metadata.imageId,
      snapshotter: metadata.snapshotter,
      snapshotKey: sandbox.id,
      runtimeHandler: metadata.runtimeHandler,
      config: metadata.config,
      cniResult: sandbox.networkAttachments ?? null,
      runtimeSpec,
    });
  }
  return {
    status: toPodSandboxStatus(sandbox),
    info,
    containersStatuses: [],
    timestamp: nowEpochNs().toString(),
  };
}
