import { rmdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { type CgroupLayout, cgroupsPathToPath, hostCgroupLayout, isSystemdCgroupsPath } from './cgroup-layout.js';

// Still in use (a process left in it), or not there: either way nothing to do here.
const LEFT_AS_IS = new Set(['ENOENT', 'EBUSY', 'ENOTEMPTY']);

/**
 * Removes a container's cgroup once its task is gone, if runc left it:
 * runc deletes it itself, unless its shim died with containerd before it could.
 * An empty directory only: a cgroup with a process in it stays. A systemd-driver
 * cgroup is a scope systemd removes when it empties, so it is left to systemd.
 * Only a cgroup named after its owner goes: one an NRI plugin moved the
 * container into may be shared.
 */
export async function removeLeftoverCgroup(cgroupsPath: string, ownerId: string, layout?: CgroupLayout): Promise<void> {
  if (cgroupsPath === '' || isSystemdCgroupsPath(cgroupsPath)) return;
  if (posix.basename(cgroupsPathToPath(cgroupsPath)) !== ownerId) return;
  const dirs = (layout ?? (await hostCgroupLayout())).everyDirOf(cgroupsPath);
  await Promise.all(
    dirs.map((dir) =>
      rmdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (!LEFT_AS_IS.has(err.code ?? '')) throw err;
      }),
    ),
  );
}
