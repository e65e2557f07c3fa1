import { access } from 'node:fs/promises';
import { runCommandOrThrow } from '../host/command-runner.js';

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

/**
 * A pod's network namespace, pinned by a bind mount so it outlives any
 * process (CNI sets it up before the pause container starts). `ip netns`
 * does the pinning and the mount propagation setup of /run/netns.
 */
export async function createNetns(podId: string): Promise<string> {
  const path = netnsPath(podId);
  // Loopback is brought up by the CNI config's loopback plugin, as with containerd.
  if (!(await exists(path))) await runCommandOrThrow('ip', ['netns', 'add', netnsName(podId)]);
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
