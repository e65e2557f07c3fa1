import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Makes a device node with mknod(1); false when this process may not (no CAP_MKNOD). */
export function mknod(path: string, type: 'c' | 'b', major: number, minor: number, mode = '0660'): boolean {
  try {
    execFileSync('mknod', ['-m', mode, path, type, String(major), String(minor)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A small /dev: null, a loop disk, net/tun, and the things a walk of /dev
 * must skip (pts, shm, mqueue, console, a fifo, a symlink, a regular file).
 * False when device nodes cannot be made here.
 */
export async function makeFakeDev(dev: string): Promise<boolean> {
  await mkdir(join(dev, 'pts'), { recursive: true });
  await mkdir(join(dev, 'shm'), { recursive: true });
  await mkdir(join(dev, 'mqueue'), { recursive: true });
  await mkdir(join(dev, 'net'), { recursive: true });
  const ok =
    mknod(join(dev, 'null'), 'c', 1, 3, '0666') &&
    mknod(join(dev, 'loop0'), 'b', 7, 0) &&
    mknod(join(dev, 'net', 'tun'), 'c', 10, 200, '0666') &&
    mknod(join(dev, 'pts', '0'), 'c', 136, 0) &&
    mknod(join(dev, 'console'), 'c', 5, 1) &&
    mknod(join(dev, 'shm', 'odd'), 'c', 1, 5);
  if (!ok) return false;
  execFileSync('mkfifo', [join(dev, 'initctl')]);
  await symlink('null', join(dev, 'stdnull'));
  await writeFile(join(dev, 'regular'), 'x');
  return true;
}
