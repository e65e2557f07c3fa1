import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerdConfig } from '../config/config.js';
import { describeFailure, runCommandHere } from '../host/command.js';
import { type CheckResult, fail, ok, warn } from './check.js';

const NAME = 'overlayfs';
const MOUNT_TIMEOUT_MS = 1500;

export interface OverlayProbe {
  /** /proc/filesystems: what the kernel can mount. */
  filesystemsFile: string;
  /** Only root may mount; others stop at the filesystem list. */
  isRoot: boolean;
  /** A directory on the filesystem snapshots will live on, for the test mount. */
  testDir: string;
  /** The mount(8) to run; tests give one that fails. */
  mountProgram?: string;
}

function snapshotters(config: ContainerdConfig): Set<string> {
  return new Set([config.snapshotter, ...Object.values(config.runtimes).map((h) => h.snapshotter).filter(Boolean)]);
}

/** Mounts a one-file overlay in a scratch directory, reads the file and writes another through it, and cleans up. */
export async function tryOverlayMount(testDir: string, mountProgram = 'mount'): Promise<string | undefined> {
  const scratch = await mkdtemp(join(testDir, '.cri-ts-doctor-overlay-'));
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(scratch, d)) as [string, string, string, string];
  let mounted = false;
  try {
    await Promise.all([lower, upper, work, merged].map((d) => mkdir(d)));
    await writeFile(join(lower, 'probe'), 'lower');
    const mount = { file: mountProgram, args: ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged], timeoutMs: MOUNT_TIMEOUT_MS };
    const result = await runCommandHere(mount);
    if (result.exitCode !== 0 || result.timedOut) return describeFailure(mount, result);
    mounted = true;
    if ((await readFile(join(merged, 'probe'), 'utf8')) !== 'lower') return 'the lower layer\'s file does not show through the overlay';
    await writeFile(join(merged, 'written'), 'upper');
    if (!(await stat(join(upper, 'written')).then(() => true, () => false))) return 'a file written to the overlay did not land in the upper layer';
    return undefined;
  } finally {
    const umount = mounted ? await runCommandHere({ file: 'umount', args: [merged], timeoutMs: MOUNT_TIMEOUT_MS }) : undefined;
    // Never delete through a mount that is still there.
    if (!umount || umount.exitCode === 0) await rm(scratch, { recursive: true, force: true });
  }
}

/** overlayfs is usable where the overlayfs snapshotter is configured: known to the kernel, and (as root) a real mount works. */
export async function checkOverlayfs(config: ContainerdConfig, probe: OverlayProbe): Promise<CheckResult> {
  const used = snapshotters(config);
  if (!used.has('overlayfs')) return ok(NAME, `not used (snapshotter ${[...used].join(', ')})`);
  const filesystems = await readFile(probe.filesystemsFile, 'utf8');
  const known = filesystems.split('\n').some((line) => line.trim().split(/\s+/).pop() === 'overlay');
  if (!known) {
    return fail(NAME, `overlay is not in ${probe.filesystemsFile}: the overlayfs snapshotter cannot mount any container`, 'modprobe overlay (and list it in /etc/modules-load.d/), or set containerd.snapshotter = "native"');
  }
  if (!probe.isRoot) return warn(NAME, `overlay is in ${probe.filesystemsFile}; the test mount needs root and was not tried`, 'run cri-ts doctor as root to try a real overlay mount');
  const problem = await tryOverlayMount(probe.testDir, probe.mountProgram);
  if (problem) {
    return fail(NAME, `a test overlay mount in ${probe.testDir} failed: ${problem}`, `put containerd's root on a filesystem overlayfs accepts as upper layer (ext4, xfs with d_type; not overlay itself) or set containerd.snapshotter = "native"`);
  }
  return ok(NAME, `a test overlay mount in ${probe.testDir} works`);
}
