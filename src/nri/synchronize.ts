import type { NriPlugin } from './nri-plugin.js';
import type { Container, ContainerUpdate__Output, PodSandbox, SynchronizeResponse__Output } from './nri-types.js';
import { encodeMessage } from './nri-wire.js';
import { TTRPC_MAX_DATA_BYTES } from './ttrpc-frame.js';

/** Room left in a ttrpc message for the request envelope (service, method, deadline). */
const SYNC_BATCH_BYTES = TTRPC_MAX_DATA_BYTES - 64 * 1024;

/** Pods and containers in batches whose encoded requests fit a ttrpc message, in order. */
export function syncBatches(pods: readonly PodSandbox[], containers: readonly Container[], limit = SYNC_BATCH_BYTES): Array<{ pods: PodSandbox[]; containers: Container[] }> {
  const batches: Array<{ pods: PodSandbox[]; containers: Container[] }> = [];
  let current = { pods: [] as PodSandbox[], containers: [] as Container[] };
  let size = 0;
  const add = (kind: 'pods' | 'containers', item: PodSandbox | Container, bytes: number): void => {
    if (size + bytes > limit && current.pods.length + current.containers.length > 0) {
      batches.push(current);
      current = { pods: [], containers: [] };
      size = 0;
    }
    (current[kind] as Array<PodSandbox | Container>).push(item);
    size += bytes;
  };
  // Each item costs its encoding plus a few bytes of field tag and length.
  for (const pod of pods) add('pods', pod, encodeMessage('PodSandbox', pod).length + 8);
  for (const container of containers) add('containers', container, encodeMessage('Container', container).length + 8);
  batches.push(current);
  return batches;
}

/**
 * Synchronize: the plugin is told every pod and container there is, in one
 * request or, when they do not fit one message, in several marked "more"
 * (a plugin must answer those with "more" and no updates). Returns the
 * updates it asked for. Throws when it fails; the caller drops it.
 */
export async function synchronizePlugin(plugin: NriPlugin, pods: readonly PodSandbox[], containers: readonly Container[]): Promise<ContainerUpdate__Output[]> {
  const batches = syncBatches(pods, containers);
  for (const [i, batch] of batches.entries()) {
    const more = i < batches.length - 1;
    const answer = await plugin.call<SynchronizeResponse__Output>('Synchronize', 'SynchronizeRequest', { ...batch, more }, 'SynchronizeResponse');
    if (!more) return answer.update;
    if (!answer.more || answer.update.length > 0) throw new Error('the plugin does not take a synchronization split over several requests');
  }
  return [];
}
