import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotMount } from '../records/snapshot-mount.js';

export type { SnapshotMount };

/**
 * The directories of a snapshot's layers, topmost first, read from its mounts
 * without mounting anything: an overlay's upperdir then lowerdirs, or a bind's source.
 */
export function layerDirs(mounts: readonly SnapshotMount[]): string[] {
  const dirs: string[] = [];
  for (const mount of mounts) {
    if (mount.type === 'bind' || mount.type === 'rbind') {
      dirs.push(mount.source);
      continue;
    }
    if (mount.type === 'overlay') {
      const option = (name: string): string | undefined => mount.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
      const upper = option('upperdir');
      if (upper) dirs.push(upper);
      dirs.push(...(option('lowerdir')?.split(':') ?? []));
    }
  }
  return dirs;
}

/** Reads a small file of the container's root filesystem (e.g. /etc/passwd) from the topmost layer that has it. */
export async function readRootfsFile(mounts: readonly SnapshotMount[], path: string): Promise<string | undefined> {
  for (const dir of layerDirs(mounts)) {
    try {
      return await readFile(join(dir, path), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    }
  }
  return undefined;
}
