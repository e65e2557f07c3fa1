import { readFileSync, type BigIntStats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { InvalidArgumentError, errorMessage } from '../errors.js';
import type { OciLinuxDevice, OciSpec } from './oci-types.js';

/** A device node of the node, as the spec's linux.devices wants it. */
export interface HostDevice extends OciLinuxDevice {
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/** A CRI Device (as Device__Output). */
export interface DeviceRequest {
  containerPath: string;
  hostPath: string;
  permissions: string;
}

// Directories under /dev that are not device trees of their own (containerd's and runc's list).
const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

let inUserNamespace: boolean | undefined;
/** Whether cri-ts runs in a user namespace (then devices it may not read are skipped, as containerd does). */
function runningInUserNamespace(): boolean {
  if (inUserNamespace === undefined) {
    try {
      const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
      inUserNamespace = !(map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
    } catch {
      inUserNamespace = false;
    }
  }
  return inUserNamespace;
}

/** Major and minor of a dev_t, as glibc's gnu_dev_major/gnu_dev_minor split it. */
export function splitDeviceNumber(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev & 0x00000000000fff00n) >> 8n) | ((rdev & 0xfffff00000000000n) >> 32n);
  const minor = (rdev & 0x00000000000000ffn) | ((rdev & 0x00000ffffff00000n) >> 12n);
  return { major: Number(major), minor: Number(minor) };
}

function fromStats(st: BigIntStats, containerPath: string): HostDevice | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  const { major, minor } = splitDeviceNumber(st.rdev);
  return { type, path: containerPath, major, minor, fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
}

/**
 * The device at `path` (not following a symlink), shown in the container at
 * `containerPath`; undefined when it is not a character or block device.
 */
export async function deviceFromPath(path: string, containerPath = path): Promise<HostDevice | undefined> {
  return fromStats(await lstat(path, { bigint: true }), containerPath);
}

/**
 * Every character and block device under `dir` (recursively), shown in the
 * container under `containerDir`; like containerd's HostDevices it skips
 * /dev/pts, /dev/shm, /dev/fd, /dev/mqueue, /dev/console, symlinks, fifos
 * and files that vanish while it looks.
 */
export async function devicesUnder(dir: string, containerDir: string): Promise<HostDevice[]> {
  const out: HostDevice[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const hostPath = join(dir, entry.name);
    const containerPath = join(containerDir, entry.name);
    try {
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name)) continue;
        out.push(...(await devicesUnder(hostPath, containerPath)));
        continue;
      }
      if (entry.name === 'console' || !(entry.isCharacterDevice() || entry.isBlockDevice())) continue;
      const device = await deviceFromPath(hostPath, containerPath);
      if (device) out.push(device);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') continue;
      if ((code === 'EACCES' || code === 'EPERM') && runningInUserNamespace()) continue;
      throw err;
    }
  }
  return out;
}

/** All of the node's devices, for a privileged container; `devRoot` is for tests. */
export async function hostDevices(devRoot = '/dev'): Promise<HostDevice[]> {
  return devicesUnder(devRoot, '/dev');
}

/** Adds devices to linux.devices, replacing any already there at the same container path. */
export function addSpecDevices(spec: OciSpec, devices: readonly OciLinuxDevice[], replace = true): void {
  const linux = (spec.linux ??= {});
  const list = (linux.devices ??= []);
  for (const device of devices) {
    const at = list.findIndex((d) => d.path === device.path);
    if (at === -1) list.push(device);
    else if (replace) list[at] = device;
  }
}

const PERMISSIONS = /^(?!.*(.).*\1)[rwm]{1,3}$/;

/**
 * The devices a container asked for: a host device node, or a directory of
 * them (every device under it, as containerd does), each added to
 * linux.devices with the host node's type, numbers, mode and owner, and
 * allowed in the device cgroup with the requested permissions ("rwm" when
 * none are given). A symlinked host path is followed.
 */
export async function withDevices(spec: OciSpec, devices: readonly DeviceRequest[]): Promise<void> {
  for (const [i, request] of devices.entries()) {
    const field = `devices[${i}]`;
    const hostPath = request.hostPath;
    if (hostPath === '' || !isAbsolute(hostPath)) throw new InvalidArgumentError(`${field}.host_path "${hostPath}" must be an absolute path of a device on the node`);
    const containerPath = request.containerPath === '' ? hostPath : request.containerPath;
    if (!isAbsolute(containerPath)) throw new InvalidArgumentError(`${field}.container_path "${containerPath}" must be an absolute path`);
    const access = request.permissions === '' ? 'rwm' : request.permissions;
    if (!PERMISSIONS.test(access)) throw new InvalidArgumentError(`${field}.permissions "${request.permissions}" must be made of r, w and m (e.g. "rwm", "rw")`);

    let found: HostDevice[];
    try {
      const resolved = await realpath(hostPath);
      if ((await stat(resolved)).isDirectory()) {
        found = await devicesUnder(resolved, containerPath);
      } else {
        const device = await deviceFromPath(resolved, containerPath);
        if (!device) throw new InvalidArgumentError(`${field}.host_path "${hostPath}" is not a character or block device`);
        found = [device];
      }
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      if (errnoCode(err) === 'ENOENT') throw new InvalidArgumentError(`${field}.host_path "${hostPath}" does not exist on the node`, { cause: err });
      throw new InvalidArgumentError(`${field}.host_path "${hostPath}": ${errorMessage(err)}`, { cause: err });
    }

    addSpecDevices(spec, found);
    const resources = ((spec.linux ??= {}).resources ??= {});
    const rules = (resources.devices ??= []);
    for (const device of found) rules.push({ allow: true, type: device.type, major: device.major, minor: device.minor, access });
  }
}
