import { lstat, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';

/** As the kernel's limit on links followed in one lookup (ELOOP). */
const MAX_SYMLINKS = 40;

const parts = (path: string): string[] => path.split('/').filter((part) => part !== '' && part !== '.');

/**
 * What can be told of an image_sub_path without the image: it is relative,
 * and its `..` never climbs above the image's root. Returns it cleaned
 * ("" for the root itself), as the bind under the image's mount uses it.
 */
export function checkImageSubPath(subPath: string, field: string): string {
  if (subPath.startsWith('/')) throw new InvalidArgumentError(`${field} "${subPath}" must be a path relative to the image's root, e.g. "etc"`);
  if (subPath.includes('\0')) throw new InvalidArgumentError(`${field} must not contain a NUL byte`);
  let depth = 0;
  for (const part of parts(subPath)) {
    depth += part === '..' ? -1 : 1;
    if (depth < 0) throw new InvalidArgumentError(`${field} "${subPath}" climbs out of the image with ".."; name a directory inside it`);
  }
  return parts(subPath).join('/');
}

async function lstatOrUndefined(path: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * Follows `subPath` inside the image mounted at `root`, component by
 * component as the kernel would from `root`, and proves that lookup stays
 * inside the image: no `..` above the root, no absolute symlink (the host
 * would resolve it against its own root), no relative one climbing out. It
 * must name an existing directory (a single file is not a goal of image
 * volumes, as for containerd). Returns the path with its links resolved.
 */
export async function resolveImageSubPath(root: string, subPath: string, field: string): Promise<string> {
  checkImageSubPath(subPath, field);
  const resolved: string[] = [];
  const pending = parts(subPath);
  let links = 0;
  const shown = (): string => resolved.join('/') || '.';
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      if (resolved.length === 0) throw new InvalidArgumentError(`${field} "${subPath}" leads out of the image (".." above its root); name a directory inside it`);
      resolved.pop();
      continue;
    }
    const path = join(root, ...resolved, part);
    const found = await lstatOrUndefined(path);
    if (!found) throw new InvalidArgumentError(`${field} "${subPath}" does not exist in the image (${[...resolved, part].join('/')} is missing); name a directory the image has`);
    if (found.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new InvalidArgumentError(`${field} "${subPath}" follows more than ${MAX_SYMLINKS} symlinks in the image`);
      const target = await readlink(path);
      if (target.startsWith('/')) {
        throw new InvalidArgumentError(`${field} "${subPath}": ${[...resolved, part].join('/')} in the image is a symlink to the absolute path ${target}; image_sub_path may follow only relative symlinks that stay inside the image`);
      }
      pending.unshift(...parts(target));
      continue;
    }
    if (!found.isDirectory()) throw new InvalidArgumentError(`${field} "${subPath}": ${[...resolved, part].join('/')} in the image is not a directory; image_sub_path must name a directory`);
    resolved.push(part);
  }
  // The root itself may be what is named; it is a directory unless the view is broken.
  if (!(await stat(join(root, ...resolved))).isDirectory()) throw new InvalidArgumentError(`${field} "${subPath}": ${shown()} in the image is not a directory`);
  return resolved.join('/');
}
