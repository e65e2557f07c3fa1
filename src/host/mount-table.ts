import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { CriError } from '../errors.js';
import { runCommand, runCommandOrThrow } from './command-runner.js';
import { unescapeMountinfo } from './mountinfo.js';

/** More mounts stacked at one path than cri-ts ever makes there: something else keeps mounting. */
const MAX_STACKED_MOUNTS = 16;

/** The mount points of cri-ts's mount namespace (the host's), from a mountinfo text; one per mount, stacked mounts repeat. */
export function parseMountPoints(mountinfo: string): string[] {
  const points: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.push(unescapeMountinfo(field));
  }
  return points;
}

export async function mountPoints(mountinfoPath = '/proc/self/mountinfo'): Promise<string[]> {
  return parseMountPoints(await readFile(mountinfoPath, 'utf8'));
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).includes(path);
}

/** Whether the topmost mount at `path` has shared propagation (mountinfo's optional `shared:N` field). */
export function isSharedMountIn(mountinfo: string, path: string): boolean {
  let top: string[] | undefined;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields[4] !== undefined && unescapeMountinfo(fields[4]) === path) top = fields.slice(6, fields.indexOf('-'));
  }
  return top?.some((field) => field.startsWith('shared:')) ?? false;
}

export async function isSharedMountPoint(path: string, mountinfoPath = '/proc/self/mountinfo'): Promise<boolean> {
  return isSharedMountIn(await readFile(mountinfoPath, 'utf8'), path);
}

/** The mount points at or below `dir`: removing `dir` recursively while any is left would reach into them. */
export async function mountPointsUnder(dir: string): Promise<string[]> {
  const root = posix.normalize(dir).replace(/\/+$/, '');
  return (await mountPoints()).filter((point) => point === root || point.startsWith(`${root}/`));
}

/**
 * Unmounts every mount stacked at `path`; not mounted is fine. A mount still
 * in use (a shell left in it) is detached lazily rather than failing the
 * removal for good: the kernel drops it once the last user leaves.
 */
export async function unmountAll(path: string): Promise<void> {
  for (let stacked = 0; await isMountPoint(path); stacked++) {
    if (stacked === MAX_STACKED_MOUNTS) throw new CriError('Internal', `${path} is still mounted after ${stacked} unmounts`);
    const plain = await runCommand({ file: 'umount', args: [path] });
    if (plain.exitCode !== 0) await runCommandOrThrow('umount', ['--lazy', path]);
  }
}
