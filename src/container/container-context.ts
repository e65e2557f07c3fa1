import { rm } from 'node:fs/promises';
import type { CriTsConfig } from '../config/config.js';
import type { ContainerdClient } from '../containerd/client.js';
import { CriError } from '../errors.js';
import { mountPointsUnder } from '../host/mount-table.js';
import type { ImageCatalog } from '../image/image-catalog.js';
import type { Logger } from '../log.js';
import type { ContainerNri } from '../nri/nri-api.js';
import type { PodLookup } from '../sandbox/sandbox.js';
import type { ContainerEvents } from './container-events.js';
import type { ContainerStore } from './container-store.js';
import type { ImageAccountsCache } from './image-accounts.js';
import { ContainerIo } from './io/container-io.js';

/** Everything the container lifecycle uses; built once by the daemon. */
export interface ContainerContext {
  readonly containerd: ContainerdClient;
  readonly config: CriTsConfig;
  /** restrict_oom_score_adj after "auto" was resolved against our capabilities. */
  readonly restrictOomScoreAdj: boolean;
  readonly log: Logger;
  readonly store: ContainerStore;
  readonly events: ContainerEvents;
  readonly imageAccounts: ImageAccountsCache;
  /** Where a container's image is looked up. */
  readonly images: Pick<ImageCatalog, 'find'>;
  /** The pods containers belong to (the pod side's read API). */
  readonly pods: PodLookup;
  /** NRI plugins, told of each container step (a no-op when NRI is off). */
  readonly nri: ContainerNri;
}

/** The container's persistent directory (its image volumes and image mounts); removed with the container. */
export function containerRootDir(ctx: ContainerContext, id: string): string {
  return `${ctx.config.root}/containers/${id}`;
}

/**
 * Removes the container's directory. Where an image may be mounted below
 * it, only once nothing is: a recursive removal must never reach into an
 * image's layers.
 */
export async function removeContainerRootDir(rootDir: string, mayHoldMounts: boolean): Promise<void> {
  const mounted = mayHoldMounts ? await mountPointsUnder(rootDir) : [];
  if (mounted.length > 0) throw new CriError('Internal', `not removing ${rootDir}: ${mounted.join(', ')} is still mounted there`);
  await rm(rootDir, { recursive: true, force: true });
}

export function containerIoDir(ctx: ContainerContext, id: string): string {
  return `${ctx.config.state}/containers/${id}`;
}

/** The container's IO opened and started (FIFO readers, log file), ready to hand to a task. */
export async function openContainerIo(
  ctx: ContainerContext,
  id: string,
  config: { stdin: boolean; tty: boolean },
  logPath: string,
  log: Logger,
): Promise<ContainerIo> {
  const io = await ContainerIo.create({
    dir: containerIoDir(ctx, id),
    stdin: config.stdin,
    tty: config.tty,
    logPath,
    maxLineBytes: ctx.config.maxContainerLogLineSize,
    log,
  });
  await io.start();
  return io;
}
