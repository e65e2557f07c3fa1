import type { Logger } from '../log.js';
import type { PodRuntime } from '../sandbox/pod-runtime.js';
import type { ContainerStore } from './container-store.js';

/** Everything the container lifecycle needs; the pod side comes along for sandbox and image lookups. */
export interface ContainerRuntime {
  readonly pods: PodRuntime;
  readonly store: ContainerStore;
  readonly log: Logger;
}

export function containerIoDir(runtime: ContainerRuntime, id: string): string {
  return `${runtime.pods.config.state}/containers/${id}`;
}
