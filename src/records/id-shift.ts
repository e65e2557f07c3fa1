import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { OciIdMapping } from '../oci/oci-types.js';

interface Entry {
  path: string;
  uid: number;
  gid: number;
  mode: number;
  symlink: boolean;
}

/** Every entry under `root`, itself first, without following symlinks or crossing into other mounts. */
async function listTree(root: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  const rootStat = await lstat(root);
  const visit = async (path: string): Promise<void> => {
    const stat = await lstat(path);
    if (stat.dev !== rootStat.dev) return;
    entries.push({ path, uid: stat.uid, gid: stat.gid, mode: stat.mode, symlink: stat.isSymbolicLink() });
    if (stat.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(root);
  return entries;
}

/** The host ID of a container ID under `mapping`, or undefined outside it. */
function toHost(id: number, mapping: OciIdMapping): number | undefined {
  const offset = id - mapping.containerID;
  return offset >= 0 && offset < mapping.size ? mapping.hostID + offset : undefined;
}

/** How many chowns run at once: they are quick metadata writes, done on libuv's thread pool. */
const PARALLEL = 16;

/**
 * Gives every file under `root` the host IDs its owner and group have in a
 * user namespace with these mappings (uid 0 becomes uidMapping.hostID, ...),
 * as containerd's remapped snapshots do. Every owner is read before any is
 * changed, so a hard-linked file is set once to the same value however many
 * names it has. chown clears setuid and setgid bits; they are put back.
 * A file owned by an ID outside the mapping is refused, naming it.
 */
export async function shiftOwnership(root: string, uidMapping: OciIdMapping, gidMapping: OciIdMapping, field: string): Promise<number> {
  const entries = await listTree(root);
  const shifted = entries.map((entry) => {
    const uid = toHost(entry.uid, uidMapping);
    const gid = toHost(entry.gid, gidMapping);
    if (uid === undefined || gid === undefined) {
      const [what, id, mapping] = uid === undefined ? ['uid', entry.uid, uidMapping] : ['gid', entry.gid, gidMapping];
      throw new InvalidArgumentError(
        `${field}: the image has ${entry.path.slice(root.length) || '/'} owned by ${what} ${id}, outside the pod's mapping of ${mapping.size} IDs from ${mapping.containerID}; map more IDs`,
      );
    }
    return { ...entry, uid, gid };
  });
  for (let i = 0; i < shifted.length; i += PARALLEL) {
    await Promise.all(
      shifted.slice(i, i + PARALLEL).map(async (entry) => {
        await lchown(entry.path, entry.uid, entry.gid);
        if (!entry.symlink && (entry.mode & 0o6000) !== 0) await chmod(entry.path, entry.mode & 0o7777);
      }),
    );
  }
  return shifted.length;
}
