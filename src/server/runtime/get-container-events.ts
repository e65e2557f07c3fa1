import type { GetEventsRequest__Output } from '../../generated/cri/runtime/v1/GetEventsRequest.js';
import type { ContainerEventResponse } from '../../generated/cri/runtime/v1/ContainerEventResponse.js';
import type { ServerContext } from '../context.js';
import { toContainerStatus } from './container-view.js';
import { toPodSandboxStatus } from './pod-sandbox-view.js';

const EVENT_TYPE = {
  created: 'CONTAINER_CREATED_EVENT',
  started: 'CONTAINER_STARTED_EVENT',
  stopped: 'CONTAINER_STOPPED_EVENT',
  deleted: 'CONTAINER_DELETED_EVENT',
} as const;

/** GetContainerEvents: container lifecycle changes as they happen, until the client goes away. */
export async function getContainerEvents(
  ctx: ServerContext,
  _request: GetEventsRequest__Output,
  send: (response: ContainerEventResponse) => void,
  signal: AbortSignal,
): Promise<void> {
  await ctx.recovered;
  await new Promise<void>((resolve) => {
    const unsubscribe = ctx.containers.events.subscribe((event) => {
      const sandbox = ctx.pods.find(event.container.metadata.sandboxId);
      send({
        containerId: event.container.id,
        containerEventType: EVENT_TYPE[event.type],
        createdAt: event.atNs.toString(),
        podSandboxStatus: sandbox ? toPodSandboxStatus(sandbox) : null,
        containersStatuses: event.type === 'deleted' ? [] : [toContainerStatus(event.container)],
      });
    });
    signal.addEventListener('abort', () => {
      unsubscribe();
      resolve();
    });
  });
}
