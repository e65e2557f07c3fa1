import { statfs } from 'node:fs/promises';
import { type CheckResult, fail, ok, warn } from './check.js';
import { nearestExisting } from './host-probes.js';

export interface FsSpace {
  freeBytes: number;
  totalBytes: number;
}

export type StatFs = (path: string) => Promise<FsSpace>;

export const hostStatFs: StatFs = async (path) => {
  const s = await statfs(path);
  // bavail, not bfree: blocks reserved for root are not there for cri-ts's files when the disk fills.
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
};

/** Thresholds for one directory: below `warnFraction` free warns, below `failBytes` fails. */
export interface SpaceLimits {
  warnFraction: number;
  failBytes: number;
}

const GiB = 1024 ** 3;
/** root holds images' unpacked layers (for the managed containerd), the CNI cache and container logs' neighbours. */
export const ROOT_LIMITS: SpaceLimits = { warnFraction: 0.1, failBytes: GiB };
/** state holds sockets, FIFOs and netns mounts, a few KiB per pod, often on a small tmpfs (/run). */
export const STATE_LIMITS: SpaceLimits = { warnFraction: 0.1, failBytes: 16 * 1024 ** 2 };

function size(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/** Free space on the filesystem that holds `path` (or will, once created). */
export async function checkDiskSpace(label: string, path: string, limits: SpaceLimits, statFs: StatFs = hostStatFs): Promise<CheckResult> {
  const name = `disk ${label}`;
  const on = await nearestExisting(path);
  const { freeBytes, totalBytes } = await statFs(on);
  const percent = totalBytes > 0 ? (100 * freeBytes) / totalBytes : 0;
  const detail = `${size(freeBytes)} free of ${size(totalBytes)} (${percent.toFixed(0)} %) for ${path}${on === path ? '' : ` (on ${on})`}`;
  const fix = `free space on the filesystem of ${on} (crictl rmi --prune removes unused images), or move ${label} to a larger one`;
  if (freeBytes < limits.failBytes) return fail(name, `${detail}: below ${size(limits.failBytes)}`, fix);
  if (freeBytes < limits.warnFraction * totalBytes) return warn(name, `${detail}: below ${Math.round(limits.warnFraction * 100)} %`, fix);
  return ok(name, detail);
}
