import type { ListPodSandboxStatsRequest__Output } from '../../generated/cri/runtime/v1/ListPodSandboxStatsRequest.js';
import type { ListPodSandboxStatsResponse } from '../../generated/cri/runtime/v1/ListPodSandboxStatsResponse.js';
import type { ServerContext } from '../context.js';
import { toPodSandboxStats } from './stats-view.js';

/** Stats of ready pods; filters are ANDed. */
export async function listPodSandboxStats(ctx: ServerContext, request: ListPodSandboxStatsRequest__Output): Promise<ListPodSandboxStatsResponse> {
  await ctx.recovered;
  const filter = request.filter;
  const pods = ctx.pods.list().filter((p) => {
    if (p.state !== 'ready') return false;
    if (!filter) return true;
    if (filter.id && !p.id.startsWith(filter.id)) return false;
    return Object.entries(filter.labelSelector).every(([k, v]) => p.metadata.config.labels[k] === v);
  });
  return { stats: (await Promise.all(pods.map((p) => ctx.stats.pod(p)))).map(toPodSandboxStats) };
}
