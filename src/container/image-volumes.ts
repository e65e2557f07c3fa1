import { chmod, chown, lstat, mkdir, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { runCommandOrThrow } from '../host/command-runner.js';
import { CriError, errorMessage } from '../errors.js';
import type { Mount__Output } from '../generated/cri/runtime/v1/Mount.js';
import type { VolumeDirectory } from '../oci/mounts.js';
import { type SnapshotMount, withSnapshotMounted } from '../records/snapshot-mount.js';
import { layerDirs } from './rootfs-files.js';

/** An image VOLUME given a host directory of the container's own. */
export type ImageVolume = VolumeDirectory;

/**
 * The image's VOLUME paths that no CRI mount covers, each with a directory
 * under `volumesDir`, as containerd's CRI gives them (its volumeMounts):
 * kubelet's own volumes win, the rest still get a writable directory rather
 * than a path in the container's writable layer.
 */
export function imageVolumes(volumes: readonly string[], criMounts: readonly Mount__Output[], volumesDir: string): ImageVolume[] {
  const clean = (path: string): string => posix.normalize(path).replace(/(.)\/+$/, '$1');
  const taken = new Set(criMounts.map((m) => clean(m.containerPath)));
  return [...new Set(volumes.map(clean))]
    .filter((path) => path.startsWith('/') && path !== '/' && !taken.has(path))
    .sort()
    .map((containerPath, i) => ({ containerPath, hostPath: join(volumesDir, String(i)) }));
}

/** What the image holds at a path: absent, or a directory with its owner and mode and whether anything is in it. */
type ImagePath = { kind: 'absent' } | { kind: 'directory'; uid: number; gid: number; mode: number; hasContent: boolean };

const isWhiteout = (s: { isCharacterDevice(): boolean; rdev: number }): boolean => s.isCharacterDevice() && s.rdev === 0;

/** Looks at the layers, topmost first, without mounting anything (overlay whiteouts hide what is below). */
export async function probeImagePath(layers: readonly string[], path: string): Promise<ImagePath> {
  let top: Extract<ImagePath, { kind: 'directory' }> | undefined;
  for (const layer of layers) {
    const at = join(layer, path);
    const found = await lstat(at).catch(() => undefined);
    if (!found) continue;
    if (isWhiteout(found) || !found.isDirectory()) break;
    top ??= { kind: 'directory', uid: found.uid, gid: found.gid, mode: found.mode & 0o7777, hasContent: false };
    if ((await readdir(at)).length > 0) return { ...top, hasContent: true };
  }
  return top ?? { kind: 'absent' };
}

/**
 * Fills each volume's directory from the image, as containerd's WithVolumes
 * does: owner and mode of the image's directory, and a copy of what it holds
 * (through a read-only mount of the snapshot, only when it holds anything).
 * A path the image lacks becomes an empty directory owned by the container's
 * root: `root` gives its host IDs (the mapped ones in a pod's own user
 * namespace, whose rootfs already carries mapped owners).
 */
export async function populateImageVolumes(
  volumes: readonly ImageVolume[],
  rootfs: readonly SnapshotMount[],
  scratchDir: string,
  root: { uid: number; gid: number } = { uid: 0, gid: 0 },
): Promise<void> {
  const layers = layerDirs(rootfs);
  const withContent: ImageVolume[] = [];
  for (const volume of volumes) {
    const found = await probeImagePath(layers, volume.containerPath);
    await mkdir(volume.hostPath, { recursive: true, mode: 0o755 });
    if (found.kind === 'absent') {
      if (root.uid !== 0 || root.gid !== 0) await chown(volume.hostPath, root.uid, root.gid);
      continue;
    }
    await chown(volume.hostPath, found.uid, found.gid);
    await chmod(volume.hostPath, found.mode);
    if (found.hasContent) withContent.push(volume);
  }
  if (withContent.length === 0) return;
  await withSnapshotMounted(rootfs, scratchDir, 'ro', async (root) => {
    for (const volume of withContent) {
      try {
        await runCommandOrThrow('cp', ['-a', '--', `${join(root, volume.containerPath)}/.`, `${volume.hostPath}/`]);
      } catch (err) {
        throw new CriError('Internal', `copying image volume ${volume.containerPath} into ${volume.hostPath}: ${errorMessage(err)}`, { cause: err });
      }
    }
  });
}
