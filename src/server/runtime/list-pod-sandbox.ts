import type { ListPodSandboxRequest__Output } from '../../generated/cri/runtime/v1/ListPodSandboxRequest.js';
import type { SandboxMetadata } from '../../sandbox/sandbox.js';
import { CachedItemEncodings, repeatedFieldOneReply } from '../cached-item-encodings.js';
import type { ServerContext } from '../context.js';
import type { EncodedResponse } from '../encoded-response.js';
import { criSandboxState, toPodSandbox } from './pod-sandbox-view.js';

// A pod's entry changes only with its state; its metadata object is replaced whenever its record is.
const encodings = new CachedItemEncodings<SandboxMetadata>('runtime.v1.PodSandbox');

/** Answered from the in-memory index, each pod's entry encoded once per state; filters are ANDed (id prefix, state, every label). */
export async function listPodSandbox(ctx: ServerContext, request: ListPodSandboxRequest__Output): Promise<EncodedResponse> {
  await ctx.recovered;
  const filter = request.filter;
  const items = ctx.pods.list().filter((sandbox) => {
    if (!filter) return true;
    if (filter.id && !sandbox.id.startsWith(filter.id)) return false;
    if (filter.state && criSandboxState(sandbox) !== filter.state.state) return false;
    const labels = sandbox.metadata.config.labels;
    return Object.entries(filter.labelSelector).every(([k, v]) => labels[k] === v);
  });
  return repeatedFieldOneReply(items.map((sandbox) => encodings.bytesOf(sandbox.metadata, criSandboxState(sandbox), () => toPodSandbox(sandbox))));
}
