import { CriError } from '../errors.js';
import { runCommandOrThrow } from '../host/command-runner.js';
import type { SnapshotMount } from './rootfs-files.js';

/**
 * Mounts a snapshot at `target` read-only, without setuid or device files:
 * an overlay of its layers, or a bind of a single layer, as the snapshotter
 * gave it. A snapshot of several mounts (none of containerd's own
 * snapshotters returns one for a view) is refused.
 */
export async function mountSnapshotReadOnly(mounts: readonly SnapshotMount[], target: string): Promise<void> {
  const mount = mounts[0];
  if (mounts.length !== 1 || !mount) throw new CriError('Internal', `cannot mount a snapshot of ${mounts.length} mounts at ${target}`);
  const options = [...mount.options.filter((o) => o !== 'rw' && o !== 'ro'), 'ro', 'nosuid', 'nodev'];
  await runCommandOrThrow('mount', ['-t', mount.type, '-o', options.join(','), mount.source, target]);
}
