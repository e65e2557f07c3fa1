import { readdirSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { isAbsentError, readOptionalText, withinSlice } from './files.js';

export interface OpenFiles {
  fileDescriptors: number;
  sockets: number;
}

/**
 * Open file descriptors of the processes, and how many of them are sockets
 * (their /proc/PID/fd links read "socket:[inode]"). A process that exits
 * meanwhile counts as having none.
 */
export async function countOpenFiles(pids: readonly number[], procRoot = '/proc'): Promise<OpenFiles> {
  const perProcess = await Promise.all(pids.map((pid) => openFilesOf(posix.join(procRoot, String(pid), 'fd'))));
  return perProcess.reduce((sum, p) => ({ fileDescriptors: sum.fileDescriptors + p.fileDescriptors, sockets: sum.sockets + p.sockets }), { fileDescriptors: 0, sockets: 0 });
}

/** Read synchronously, as the other kernel files are (see withinSlice). */
function openFilesOf(fdDir: string): Promise<OpenFiles> {
  return withinSlice(() => countDescriptors(fdDir));
}

function countDescriptors(fdDir: string): OpenFiles {
  let fds: string[];
  try {
    fds = readdirSync(fdDir);
  } catch (err) {
    if (isAbsentError(err)) return { fileDescriptors: 0, sockets: 0 };
    throw err;
  }
  let sockets = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(posix.join(fdDir, fd)).startsWith('socket:')) sockets++;
    } catch {
      // Closed meanwhile: still counted, as not a socket.
    }
  }
  return { fileDescriptors: fds.length, sockets };
}

/** The soft limits of a process by cadvisor's names; only max_open_files, the one cadvisor exports. Unlimited ones are left out. */
export async function readSoftUlimits(pid: number, procRoot = '/proc'): Promise<Map<string, bigint>> {
  return parseSoftUlimits(await readOptionalText(posix.join(procRoot, String(pid), 'limits')));
}

/** /proc/PID/limits: a header, then "Max open files   1024   524288   files" (names contain spaces). */
export function parseSoftUlimits(text: string | undefined): Map<string, bigint> {
  const limits = new Map<string, bigint>();
  for (const line of text?.split('\n') ?? []) {
    const match = /^Max open files\s+(\d+|unlimited)\s/.exec(line);
    if (match && match[1] !== 'unlimited') limits.set('max_open_files', BigInt(match[1]!));
  }
  return limits;
}
