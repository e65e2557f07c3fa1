import { join } from 'node:path';
import { objectIdsIn } from '../host/object-dirs.js';
import { type ContainerContext, containerIoDir, containerRootDir, removeContainerRootDir } from './container-context.js';
import { ContainerIo } from './io/container-io.js';

/**
 * Containers whose CreateContainer was cut short (cri-ts killed) before
 * their containerd record was written leave only host traces: the FIFO
 * directory (made while containerd works) and the container's directory.
 * Removed at recovery; returns how many.
 */
export async function removeOrphanedContainerDirs(ctx: ContainerContext, recorded: ReadonlySet<string>): Promise<number> {
  const ids = new Set([...(await objectIdsIn(join(ctx.config.state, 'containers'))), ...(await objectIdsIn(join(ctx.config.root, 'containers')))]);
  let removed = 0;
  for (const id of ids) {
    if (recorded.has(id)) continue;
    try {
      await ContainerIo.remove(containerIoDir(ctx, id));
      await removeContainerRootDir(containerRootDir(ctx, id), true);
      ctx.log.warn({ containerId: id }, 'removed the directories of a container cut short before its record was written');
      removed++;
    } catch (err) {
      ctx.log.error({ containerId: id, err }, 'could not clean up after a container cut short');
    }
  }
  return removed;
}
