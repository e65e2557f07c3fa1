import { readFile, statfs } from 'node:fs/promises';
import { posix } from 'node:path';
import { unescapeMountinfo } from '../host/mountinfo.js';

/** The filesystem a path lives on, as cadvisor's container_fs_* figures describe it. */
export interface FilesystemFigures {
  /** The mount's source, e.g. "/dev/vda1" (cadvisor's device label). */
  device: string;
  capacityBytes: bigint;
  inodes: bigint;
  inodesFree: bigint;
}

/**
 * Size and inodes of the filesystem under a path (one statfs per call), and
 * the device it is mounted from (looked up in mountinfo once per path: the
 * snapshotter's root does not move while containerd runs).
 */
export class FilesystemInfo {
  private readonly devices = new Map<string, Promise<string>>();

  constructor(private readonly mountinfoPath = '/proc/self/mountinfo') {}

  /** Undefined when the path is '' or gone. */
  async of(path: string): Promise<FilesystemFigures | undefined> {
    if (path === '') return undefined;
    const [figures, device] = await Promise.all([statfs(path, { bigint: true }).catch(() => undefined), this.device(path)]);
    if (!figures) return undefined;
    return { device, capacityBytes: figures.blocks * figures.bsize, inodes: figures.files, inodesFree: figures.ffree };
  }

  private device(path: string): Promise<string> {
    let device = this.devices.get(path);
    if (!device) {
      device = readFile(this.mountinfoPath, 'utf8').then(
        (mountinfo) => mountSourceOf(mountinfo, path) ?? '',
        () => '',
      );
      this.devices.set(path, device);
    }
    return device;
  }
}

/**
 * The source of the mount holding `path`: the deepest mount point above it,
 * the last one listed winning where mounts stack. Fields after the " - "
 * separator are: type, source, super options.
 */
export function mountSourceOf(mountinfo: string, path: string): string | undefined {
  let best: { depth: number; source: string } | undefined;
  const target = posix.normalize(path);
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    const mountPoint = unescapeMountinfo(fields[4] ?? '');
    const source = fields[separator + 2];
    if (separator < 0 || mountPoint === '' || source === undefined) continue;
    const under = mountPoint === '/' || target === mountPoint || target.startsWith(`${mountPoint}/`);
    const depth = mountPoint === '/' ? 0 : mountPoint.split('/').length;
    if (under && (!best || depth >= best.depth)) best = { depth, source: unescapeMountinfo(source) };
  }
  return best?.source;
}
