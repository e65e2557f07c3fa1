import { withCapabilities } from './capabilities.js';
import { addSpecDevices, hostDevices } from './devices.js';
import type { OciSpec } from './oci-types.js';

export interface PrivilegedOptions {
  /** The node's /dev; for tests. */
  devRoot?: string;
  /** The capabilities cri-ts holds; defaults to its own effective set. */
  availableCapabilities?: readonly string[];
}

/**
 * A privileged container (containerd's WithPrivileged + WithHostDevices +
 * WithAllDevicesAllowed): every capability cri-ts holds, no masked or
 * read-only paths, /sys and /sys/fs/cgroup read-write, no seccomp, no
 * AppArmor profile, every host device node and access to all devices.
 *
 * Devices already in the spec keep their entries. Apply a Localhost
 * AppArmor profile after this (containerd keeps one for privileged
 * containers); a cgroup namespace is the caller's business (containerd
 * gives privileged containers none).
 */
export async function withPrivileged(spec: OciSpec, options: PrivilegedOptions = {}): Promise<void> {
  withCapabilities(spec, { add: [], drop: [] }, true, options.availableCapabilities);
  const linux = (spec.linux ??= {});
  delete linux.maskedPaths;
  delete linux.readonlyPaths;
  delete linux.seccomp;
  if (spec.process) delete spec.process.apparmorProfile;
  for (const mount of spec.mounts ?? []) {
    if (mount.type === 'sysfs' || mount.type === 'cgroup' || mount.type === 'cgroup2') {
      mount.options = (mount.options ?? []).map((o) => (o === 'ro' ? 'rw' : o));
    }
  }
  addSpecDevices(spec, await hostDevices(options.devRoot), false);
  (linux.resources ??= {}).devices = [{ allow: true, access: 'rwm' }];
}
