import type { Sandbox } from '../sandbox/sandbox.js';
import { expandSlice, isSystemdCgroupsPath } from '../host/cgroup-layout.js';

/**
 * The cgroup holding the whole pod: its cgroup parent, or the pause
 * container's own cgroup when it was given none (critest, crictl). With the
 * systemd driver the parent is a slice name (kubelet's "kubepods-...-podUID.slice"),
 * whose cgroup is the slice expanded; '' when the pod has no cgroup at all.
 */
export function podCgroupPath(sandbox: Pick<Sandbox, 'metadata'>): string {
  const { config, cgroupsPath } = sandbox.metadata;
  const parent = config.linux?.cgroupParent ?? '';
  if (parent === '') return cgroupsPath;
  if (!isSystemdCgroupsPath(cgroupsPath)) return parent;
  const slice = parent.split('/').filter(Boolean).at(-1) ?? '';
  try {
    return expandSlice(slice);
  } catch {
    return parent;
  }
}
