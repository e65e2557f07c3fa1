import type { ListPodSandboxRequest__Output } from '../../generated/cri/runtime/v1/ListPodSandboxRequest.js';
import type { ListPodSandboxResponse } from '../../generated/cri/runtime/v1/ListPodSandboxResponse.js';
import type { ServerContext } from '../context.js';
import { criSandboxState, toPodSandbox } from './pod-sandbox-view.js';

/** Answered from the in-memory index; filters are ANDed (id prefix, state, every label). */
export async function listPodSandbox(ctx: ServerContext, request: ListPodSandboxRequest__Output): Promise<ListPodSandboxResponse> {
  await ctx.recovered;
  const filter = request.filter;
  const items = ctx.pods.list().filter((sandbox) => {
    if (!filter) return true;
    if (filter.id && !sandbox.id.startsWith(filter.id)) return false;
    if (filter.state && criSandboxState(sandbox) !== filter.state.state) return false;
    const labels = sandbox.metadata.config.labels;
    return Object.entries(filter.labelSelector).every(([k, v]) => labels[k] === v);
  });
  return { items: items.map(toPodSandbox) };
}
