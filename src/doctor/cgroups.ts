import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CriTsConfig } from '../config/config.js';
import { type CheckResult, fail, ok, warn } from './check.js';
import { ociRuntimeBinary } from '../config/runtime-binary.js';

const NAME = 'cgroups';

export interface CgroupPaths {
  /** Where the hierarchies are mounted. */
  root: string;
  mountinfo: string;
  /** Exists only while systemd runs as init (sd_booted). */
  systemdRunDir: string;
}

export const HOST_CGROUP_PATHS: CgroupPaths = { root: '/sys/fs/cgroup', mountinfo: '/proc/self/mountinfo', systemdRunDir: '/run/systemd/system' };

export type CgroupMode = { mode: 'unified' } | { mode: 'hybrid'; unifiedAt: string } | { mode: 'legacy' } | { mode: 'none' };

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** v2 alone, v1 hierarchies with or without a cgroup2 beside them, or nothing mounted. */
export async function detectCgroupMode(paths: CgroupPaths): Promise<CgroupMode> {
  // cgroup.controllers exists only at the root of a cgroup2 hierarchy.
  if (await exists(join(paths.root, 'cgroup.controllers'))) return { mode: 'unified' };
  let v1 = 0;
  let unifiedAt: string | undefined;
  for (const line of (await readFile(paths.mountinfo, 'utf8')).split('\n')) {
    const [mountFields, fsFields] = line.split(' - ');
    const mountPoint = mountFields?.split(' ')[4];
    const fsType = fsFields?.split(' ')[0];
    if (!mountPoint || !(mountPoint === paths.root || mountPoint.startsWith(`${paths.root}/`))) continue;
    if (fsType === 'cgroup') v1++;
    if (fsType === 'cgroup2') unifiedAt = mountPoint;
  }
  if (v1 === 0) return { mode: 'none' };
  return unifiedAt ? { mode: 'hybrid', unifiedAt } : { mode: 'legacy' };
}

/** Handlers whose runc SystemdCgroup option disagrees with cgroup_driver: runc would misread every cgroups path. */
function mismatchedHandlers(config: CriTsConfig): string[] {
  const wantSystemd = config.cgroupDriver === 'systemd';
  return Object.entries(config.containerd.runtimes)
    .filter(([, handler]) => ociRuntimeBinary(handler) !== undefined && (handler.options.SystemdCgroup === true) !== wantSystemd)
    .map(([name]) => name);
}

/** The cgroup version and driver, and what kubelet's cgroupDriver must then be. */
export async function checkCgroups(config: CriTsConfig, paths: CgroupPaths = HOST_CGROUP_PATHS): Promise<CheckResult> {
  const detected = await detectCgroupMode(paths);
  const driver = config.cgroupDriver;
  const kubelet = `driver ${driver}: kubelet's cgroupDriver must be ${driver}`;
  if (detected.mode === 'none') return fail(NAME, `no cgroup hierarchy is mounted under ${paths.root}`, `mount cgroup2 at ${paths.root} (mount -t cgroup2 none ${paths.root})`);
  if (driver === 'systemd' && !(await exists(paths.systemdRunDir))) {
    return fail(NAME, `cgroup_driver = "systemd" but systemd is not running as init (no ${paths.systemdRunDir})`, 'set cgroup_driver = "cgroupfs" here and cgroupDriver: cgroupfs in kubelet\'s config');
  }
  const mismatched = mismatchedHandlers(config);
  if (mismatched.length > 0) {
    const want = driver === 'systemd' ? 'true' : 'false (or unset)';
    return fail(
      NAME,
      `cgroup_driver = "${driver}" but runtime ${mismatched.join(', ')} ${mismatched.length > 1 ? 'have' : 'has'} SystemdCgroup ${driver === 'systemd' ? 'unset' : '= true'}`,
      `set containerd.runtimes.${mismatched[0]}.options.SystemdCgroup = ${want} to match cgroup_driver`,
    );
  }
  if (detected.mode === 'unified') return ok(NAME, `cgroup v2; ${kubelet}`);
  const layout = detected.mode === 'hybrid' ? `cgroup v1 hierarchies, cgroup2 beside them at ${detected.unifiedAt}` : 'cgroup v1 hierarchies only';
  return warn(NAME, `${layout}; ${kubelet}`, "kubelet refuses cgroup v1 hosts by default (failCgroupV1 defaults to true): set failCgroupV1: false in kubelet's config, or boot the node with cgroup v2 only");
}
