import type { ListContainersRequest__Output } from '../../generated/cri/runtime/v1/ListContainersRequest.js';
import type { ContainerMetadata } from '../../container/container.js';
import { CachedItemEncodings, repeatedFieldOneReply } from '../cached-item-encodings.js';
import type { ServerContext } from '../context.js';
import type { EncodedResponse } from '../encoded-response.js';
import { criContainerState, toCriContainer } from './container-view.js';

// A container's metadata object is replaced whenever its record changes; the state and image are checked too.
const encodings = new CachedItemEncodings<ContainerMetadata>('runtime.v1.Container');

/** From the in-memory index, each container's entry encoded once until it changes; filters are ANDed (id prefix, pod id prefix, state, every label). */
export async function listContainers(ctx: ServerContext, request: ListContainersRequest__Output): Promise<EncodedResponse> {
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
  return repeatedFieldOneReply(
    containers.map((c) => encodings.bytesOf(c.metadata, `${c.metadata.state} ${c.metadata.imageRef} ${c.metadata.imageId}`, () => toCriContainer(c))),
  );
}
