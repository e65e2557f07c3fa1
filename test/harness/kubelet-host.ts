import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * What a kubelet changes on the host outside the directories it is given, and
 * how a test puts it back: its cgroup root in every hierarchy, the mounts
 * under its root dir, the kernel tunables it sets when protectKernelDefaults is
 * off, and two paths compiled into it (/var/lib/kubelet/device-plugins,
 * /var/log/containers).
 */

/** Mount points of every cgroup v1 hierarchy and of cgroup2, from /proc/self/mountinfo. */
export async function cgroupHierarchies(): Promise<string[]> {
  const lines = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n');
  return lines.flatMap((line) => {
    const [before, after] = line.split(' - ');
    const fsType = after?.split(' ')[0];
    const mountPoint = before?.split(' ')[4];
    return mountPoint && (fsType === 'cgroup' || fsType === 'cgroup2') ? [mountPoint] : [];
  });
}

/** kubelet with cgroupfs checks its cgroupRoot exists in each hierarchy before it starts. */
export async function makeCgroupRoot(cgroupRoot: string): Promise<void> {
  for (const hierarchy of await cgroupHierarchies()) await mkdir(join(hierarchy, cgroupRoot), { recursive: true });
}

/** Every cgroup directory under `cgroupRoot` in every hierarchy, deepest first. */
async function cgroupTree(cgroupRoot: string): Promise<string[]> {
  const dirs: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory()) await walk(join(dir, entry.name));
    dirs.push(dir);
  };
  for (const hierarchy of await cgroupHierarchies()) {
    const root = join(hierarchy, cgroupRoot);
    if (existsSync(root)) await walk(root);
  }
  return dirs;
}

/**
 * Removes the cgroup tree kubelet made under `cgroupRoot`. A process still in it
 * belongs to one of this kubelet's pods (the tree is the test's own), so it is
 * killed by its pid: a pod cri-ts could not remove must not keep the tree alive.
 */
export async function removeCgroupRoot(cgroupRoot: string): Promise<string[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const dirs = await cgroupTree(cgroupRoot);
    if (dirs.length === 0) return [];
    for (const dir of dirs) {
      const pids = (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await rmdir(dir).catch(() => undefined);
    }
    await sleep(100);
  }
  return cgroupTree(cgroupRoot);
}

/** Unmounts everything mounted at or under `dir` (kubelet bind-mounts its root dir onto itself, rshared). */
export async function unmountUnder(dir: string): Promise<void> {
  const mountPoints = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mountPoints) {
    await exec('umount', [point]).catch(() => exec('umount', ['-l', point]).catch(() => undefined));
  }
}

/** The sysctls kubelet sets to its own values when protectKernelDefaults is false (setupKernelTunables). */
const KERNEL_TUNABLES = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
];

export type SavedTunables = Map<string, string>;

export async function saveKernelTunables(): Promise<SavedTunables> {
  const saved = new Map<string, string>();
  for (const name of KERNEL_TUNABLES) saved.set(name, (await readFile(`/proc/sys/${name}`, 'utf8')).trim());
  return saved;
}

export async function restoreKernelTunables(saved: SavedTunables): Promise<void> {
  for (const [name, value] of saved) {
    const now = (await readFile(`/proc/sys/${name}`, 'utf8')).trim();
    if (now !== value) await writeFile(`/proc/sys/${name}`, value);
  }
}

/**
 * Two paths compiled into kubelet, whatever its --root-dir and podLogsDir: its
 * device manager's socket directory, and the legacy /var/log/containers with a
 * symlink per container pointing into podLogsDir.
 */
const VAR_LIB_KUBELET = '/var/lib/kubelet';
const DEVICE_PLUGINS_DIR = join(VAR_LIB_KUBELET, 'device-plugins');
const LEGACY_LOGS_DIR = '/var/log/containers';

export interface FixedPaths {
  varLibKubelet: boolean;
  devicePlugins: boolean;
  legacyLogs: boolean;
}

export function recordFixedPaths(): FixedPaths {
  return { varLibKubelet: existsSync(VAR_LIB_KUBELET), devicePlugins: existsSync(DEVICE_PLUGINS_DIR), legacyLogs: existsSync(LEGACY_LOGS_DIR) };
}

/** Takes away what this kubelet made at those paths, and only that. */
export async function restoreFixedPaths(before: FixedPaths, podLogsDir: string): Promise<void> {
  if (!before.varLibKubelet) await rm(VAR_LIB_KUBELET, { recursive: true, force: true });
  else if (!before.devicePlugins) await rm(DEVICE_PLUGINS_DIR, { recursive: true, force: true });
  else await rm(join(DEVICE_PLUGINS_DIR, 'kubelet.sock'), { force: true });

  for (const name of await readdir(LEGACY_LOGS_DIR).catch(() => [] as string[])) {
    const link = join(LEGACY_LOGS_DIR, name);
    const target = await readlink(link).catch(() => '');
    if (target.startsWith(`${podLogsDir}/`)) await rm(link, { force: true });
  }
  if (!before.legacyLogs) await rmdir(LEGACY_LOGS_DIR).catch(() => undefined);
}
