import type { ListContainersRequest__Output } from '../../generated/cri/runtime/v1/ListContainersRequest.js';
import type { ListContainersResponse } from '../../generated/cri/runtime/v1/ListContainersResponse.js';
import type { ServerContext } from '../context.js';
import { criContainerState, toCriContainer } from './container-view.js';

/** From the in-memory index; filters are ANDed (id prefix, pod id prefix, state, every label). */
export async function listContainers(ctx: ServerContext, request: ListContainersRequest__Output): Promise<ListContainersResponse> {
  await ctx.recovered;
  const filter = request.filter;
  const containers = ctx.containers.list().filter((c) => {
    if (!filter) return true;
    if (filter.id && !c.id.startsWith(filter.id)) return false;
    if (filter.podSandboxId && !c.metadata.sandboxId.startsWith(filter.podSandboxId)) return false;
    if (filter.state && criContainerState(c) !== filter.state.state) return false;
    const labels = c.metadata.config.labels;
    return Object.entries(filter.labelSelector).every(([k, v]) => labels[k] === v);
  });
  return { containers: containers.map(toCriContainer) };
}
