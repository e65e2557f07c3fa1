import type { ListContainerStatsRequest__Output } from '../../generated/cri/runtime/v1/ListContainerStatsRequest.js';
import type { ListContainerStatsResponse } from '../../generated/cri/runtime/v1/ListContainerStatsResponse.js';
import type { ServerContext } from '../context.js';
import { toContainerStats } from './stats-view.js';

/** Stats of running containers only, as kubelet wants them; filters are ANDed. */
export async function listContainerStats(ctx: ServerContext, request: ListContainerStatsRequest__Output): Promise<ListContainerStatsResponse> {
  await ctx.recovered;
  const filter = request.filter;
  const containers = ctx.containers.list().filter((c) => {
    if (c.metadata.state !== 'running') return false;
    if (!filter) return true;
    if (filter.id && !c.id.startsWith(filter.id)) return false;
    if (filter.podSandboxId && !c.metadata.sandboxId.startsWith(filter.podSandboxId)) return false;
    return Object.entries(filter.labelSelector).every(([k, v]) => c.metadata.config.labels[k] === v);
  });
  return { stats: (await Promise.all(containers.map((c) => ctx.stats.container(c)))).map(toContainerStats) };
}
