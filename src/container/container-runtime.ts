import type { Logger } from '../log.js';
import type { PodRuntime } from '../sandbox/pod-runtime.js';
import type { ContainerEvents } from './container-events.js';
import type { ContainerStore } from './container-store.js';
import type { ImageAccountsCache } from './image-accounts.js';
import { ContainerIo } from './io/container-io.js';

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

/** The container's IO opened and started (FIFO readers, log file), ready to hand to a task. */
export async function openContainerIo(
  runtime: ContainerRuntime,
  id: string,
  config: { stdin: boolean; tty: boolean },
  logPath: string,
  log: Logger,
): Promise<ContainerIo> {
  const io = await ContainerIo.create({
    dir: containerIoDir(runtime, id),
    stdin: config.stdin,
    tty: config.tty,
    logPath,
    maxLineBytes: runtime.pods.config.maxContainerLogLineSize,
    log,
  });
  await io.start();
  return io;
}
