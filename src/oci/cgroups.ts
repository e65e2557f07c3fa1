import { InvalidArgumentError } from '../errors.js';
import type { OciSpec } from './oci-types.js';

export type CgroupDriver = 'cgroupfs' | 'systemd';

/**
 * The cgroupsPath runc gets for a pod or container under `parent`: a path for
 * cgroupfs, "slice:prefix:name" for systemd (kubelet gives a slice name then).
 * Without a parent (critest, crictl) it goes where containerd would put it,
 * under the namespace, so stats always know where to look.
 */
export function cgroupsPath(parent: string, id: string, driver: CgroupDriver, namespace = 'k8s.io'): string {
  if (parent === '') return driver === 'systemd' ? `system.slice:cri-ts:${id}` : `/${namespace}/${id}`;
  if (driver === 'systemd') {
    const slice = parent.split('/').filter(Boolean).at(-1) ?? '';
    if (!slice.endsWith('.slice')) throw new InvalidArgumentError(`linux.cgroup_parent "${parent}" must name a systemd slice (a name ending in .slice) with the systemd cgroup driver`);
    return `${slice}:cri-ts:${id}`;
  }
  return `${parent.replace(/\/+$/, '')}/${id}`;
}

export function withCgroupsPath(spec: OciSpec, path: string): void {
  if (path !== '') (spec.linux ??= {}).cgroupsPath = path;
}
