import { access, rm, writeFile } from 'node:fs/promises';
import { MountFlag, mountFromHelper, runCommandOrThrow } from '../host/command-runner.js';
import { isSharedMountPoint } from '../host/mount-table.js';

/** ip netns keeps its pinned namespaces here. */
const NETNS_DIR = '/run/netns';

export function netnsName(podId: string): string {
  return `cri-ts-${podId.slice(0, 32)}`;
}

export function netnsPath(podId: string): string {
  return `${NETNS_DIR}/${netnsName(podId)}`;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

let netnsDirShared = false;

/**
 * Whether /run/netns is a mount of its own with shared propagation, as `ip
 * netns add` leaves it: a pin mounted or unmounted there then reaches every
 * mount namespace copied from the host's (a shim's), so none keeps a removed
 * pod's netns alive. Once true it stays so.
 */
async function netnsDirIsShared(): Promise<boolean> {
  netnsDirShared ||= await isSharedMountPoint(NETNS_DIR);
  return netnsDirShared;
}

/**
 * A pod's network namespace, pinned by a bind mount so it outlives any
 * process (CNI sets it up before the pause container starts). The command
 * helper pins it without starting a program once /run/netns is set up;
 * until then (the first pod of a boot) and where the helper cannot, `ip
 * netns add` does both.
 */
export async function createNetns(podId: string): Promise<string> {
  const path = netnsPath(podId);
  // Loopback is brought up by the CNI config's loopback plugin, as with containerd.
  if (await exists(path)) return path;
  if (await netnsDirIsShared()) {
    // As ip makes it: an empty file, mode 0, that the bind mount covers.
    await writeFile(path, '', { flag: 'wx', mode: 0 });
    let pinned = false;
    try {
      pinned = await mountFromHelper({ source: '/proc/self/ns/net', target: path, type: '', flags: MountFlag.bind, data: '', newNetns: true });
    } finally {
      // A file nothing is pinned on is not left behind, whether the helper failed or could not.
      if (!pinned) await rm(path, { force: true });
    }
    if (pinned) return path;
  }
  await runCommandOrThrow('ip', ['netns', 'add', netnsName(podId)]);
  return path;
}

/**
 * Pins the network namespace process `pid` made (the pause container of a
 * pod in its own user namespace, which must own the netns) at the pod's
 * netns path, as createNetns pins a new one.
 */
export async function attachNetns(podId: string, pid: number): Promise<string> {
  const path = netnsPath(podId);
  if (!(await exists(path))) await runCommandOrThrow('ip', ['netns', 'attach', netnsName(podId), String(pid)]);
  return path;
}

/** Removes the pinned namespace; already gone is fine. */
export async function removeNetns(path: string): Promise<void> {
  if (!(await exists(path))) return;
  const name = path.slice(path.lastIndexOf('/') + 1);
  await runCommandOrThrow('ip', ['netns', 'delete', name]).catch(async (err: unknown) => {
    if (await exists(path)) throw err;
  });
}
