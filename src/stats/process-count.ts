import { posix } from 'node:path';
import type { CgroupDirs, CgroupLayout } from '../host/cgroup-layout.js';
import { parseUint, readOptionalText } from './files.js';

/**
 * Processes in a cgroup: pids.current when the pids controller is there (it counts
 * tasks, i.e. threads, which is what containerd reports too), else the lines of
 * cgroup.procs. Undefined when neither can be read.
 */
export async function readProcessCount(dirs: CgroupDirs): Promise<number | undefined> {
  const pidsDir = dirs.version === 2 ? dirs.unified : dirs.dirs.pids;
  if (pidsDir !== undefined) {
    const current = parseUint(await readOptionalText(posix.join(pidsDir, 'pids.current')));
    if (current !== undefined) return Number(current);
  }
  const procsDirs = dirs.version === 2 ? [dirs.unified] : Object.values(dirs.dirs);
  for (const dir of procsDirs) {
    const procs = await readOptionalText(posix.join(dir, 'cgroup.procs'));
    if (procs !== undefined) return procs.split('\n').filter((line) => line.trim() !== '').length;
  }
  return undefined;
}

export function countCgroupProcesses(layout: CgroupLayout, cgroupsPath: string): Promise<number | undefined> {
  return readProcessCount(layout.dirsFor(cgroupsPath));
}
