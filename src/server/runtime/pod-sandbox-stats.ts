import { InvalidArgumentError } from '../../errors.js';
import type { PodSandboxStatsRequest__Output } from '../../generated/cri/runtime/v1/PodSandboxStatsRequest.js';
import type { PodSandboxStatsResponse } from '../../generated/cri/runtime/v1/PodSandboxStatsResponse.js';
import type { ServerContext } from '../context.js';
import { toPodSandboxStats } from './stats-view.js';

export async function podSandboxStats(ctx: ServerContext, request: PodSandboxStatsRequest__Output): Promise<PodSandboxStatsResponse> {
  await ctx.recovered;
  if (request.podSandboxId === '') throw new InvalidArgumentError('pod_sandbox_id is empty');
  return { stats: toPodSandboxStats(await ctx.stats.pod(ctx.pods.get(request.podSandboxId))) };
}
