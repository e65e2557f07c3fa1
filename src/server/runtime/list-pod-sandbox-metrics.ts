import type { ServerContext } from '../context.js';
import { EncodedResponse } from '../encoded-response.js';
import { encodeListPodSandboxMetricsResponse } from './metrics-wire.js';

/**
 * cadvisor's metric families of every ready pod (its cgroup and network) and
 * of its running containers, as kubelet serves them on /metrics/cadvisor with
 * PodAndContainerStatsFromCRI. The reply is written in wire form directly (see metrics-wire.ts).
 */
export async function listPodSandboxMetrics(ctx: ServerContext, _request: unknown): Promise<EncodedResponse> {
  await ctx.recovered;
  const pods = ctx.pods.list().filter((p) => p.state === 'ready');
  return new EncodedResponse(encodeListPodSandboxMetricsResponse(await ctx.stats.podMetrics(pods)));
}
