import { nowEpochNs } from '../../clock.js';
import { InvalidArgumentError } from '../../errors.js';
import type { PodSandboxStatusRequest__Output } from '../../generated/cri/runtime/v1/PodSandboxStatusRequest.js';
import type { PodSandboxStatusResponse } from '../../generated/cri/runtime/v1/PodSandboxStatusResponse.js';
import type { ServerContext } from '../context.js';
import { toPodSandboxStatus } from './pod-sandbox-view.js';

export async function podSandboxStatus(ctx: ServerContext, request: PodSandboxStatusRequest__Output): Promise<PodSandboxStatusResponse> {
  await ctx.recovered;
  if (request.podSandboxId === '') throw new InvalidArgumentError('pod_sandbox_id is empty');
  const sandbox = ctx.pods.get(request.podSandboxId);
  const { metadata } = sandbox;
  const info: Record<string, string> = {};
  if (request.verbose) {
    const details = await ctx.pods.details(sandbox);
    info.info = JSON.stringify({
      pid: sandbox.pid,
      netNamespacePath: metadata.netnsPath,
      netNamespaceClosed: metadata.stopped,
      image: metadata.imageId,
      snapshotter: metadata.snapshotter,
      snapshotKey: sandbox.id,
      runtimeHandler: metadata.runtimeHandler,
      config: metadata.config,
      cniResult: details.networkAttachments ?? null,
      runtimeSpec: details.spec,
      // What RunPodSandbox spent its time on, phase by phase (null after a cri-ts restart).
      startPhases: sandbox.startPhases ?? null,
    });
  }
  return {
    status: toPodSandboxStatus(sandbox),
    info,
    containersStatuses: [],
    timestamp: nowEpochNs().toString(),
  };
}
