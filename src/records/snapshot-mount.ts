import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CriError } from '../errors.js';
import { runCommandOrThrow } from '../host/command-runner.js';

/** A mount as containerd's snapshotter returns it. */
export interface SnapshotMount {
  type: string;
  source: string;
  options: string[];
}

/**
 * Mounts a snapshot at `target` without setuid or device files, read-only
 * or writable: an overlay of its layers, or a bind of a single layer, as the
 * snapshotter gave it. A snapshot of several mounts (none of containerd's
 * own snapshotters returns one) is refused.
 */
export async function mountSnapshot(mounts: readonly SnapshotMount[], target: string, access: 'ro' | 'rw'): Promise<void> {
  const mount = mounts[0];
  if (mounts.length !== 1 || !mount) throw new CriError('Internal', `cannot mount a snapshot of ${mounts.length} mounts at ${target}`);
  const options = [...mount.options.filter((o) => o !== 'rw' && o !== 'ro'), access, 'nosuid', 'nodev'];
  await runCommandOrThrow('mount', ['-t', mount.type, '-o', options.join(','), mount.source, target]);
}

export function mountSnapshotReadOnly(mounts: readonly SnapshotMount[], target: string): Promise<void> {
  return mountSnapshot(mounts, target, 'ro');
}

/** Mounts the snapshot at a temporary directory under `scratchDir` for `work`, then unmounts it. */
export async function withSnapshotMounted<T>(mounts: readonly SnapshotMount[], scratchDir: string, access: 'ro' | 'rw', work: (root: string) => Promise<T>): Promise<T> {
  await mkdir(scratchDir, { recursive: true, mode: 0o700 });
  const root = await mkdtemp(join(scratchDir, 'snapshot-'));
  try {
    await mountSnapshot(mounts, root, access);
    try {
      return await work(root);
    } finally {
      await runCommandOrThrow('umount', [root]);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
