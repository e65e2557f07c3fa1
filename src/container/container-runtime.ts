import type { Logger } from '../log.js';
import type { PodRuntime } from '../sandbox/pod-runtime.js';
import type { ContainerEvents } from './container-events.js';
import type { ContainerStore } from './container-store.js';
import type { ImageAccountsCache } from './image-accounts.js';

/** Everything the container lifecycle needs; the pod side comes along for sandbox and image lookups. */
export interface ContainerRuntime {
  readonly pods: PodRuntime;
  readonly store: ContainerStore;
  readonly log: Logger;
  readonly events: ContainerEvents;
  readonly imageAccounts: ImageAccountsCache;
}

/** The container's persistent directory (its image volumes); removed with the container. */
export function containerRootDir(runtime: ContainerRuntime, id: string): string {
  return `${runtime.pods.config.root}/containers/${id}`;
}

export function containerIoDir(runtime: ContainerRuntime, id: string): string {
  return `${runtime.pods.config.state}/containers/${id}`;
}
