import { mkdir, stat } from 'node:fs/promises';
import { InvalidArgumentError } from '../errors.js';
import type { Mount__Output } from '../generated/cri/runtime/v1/Mount.js';
import { setMount } from './default-spec.js';
import type { OciIdMapping, OciMount, OciSpec } from './oci-types.js';
import { mountIdMappings } from './user-namespace.js';

/** A writable directory of the container's own mounted at a path (an image VOLUME no CRI mount covers). */
export interface VolumeDirectory {
  containerPath: string;
  hostPath: string;
}

const PROPAGATION: Record<string, string> = {
  PROPAGATION_PRIVATE: 'rprivate',
  PROPAGATION_HOST_TO_CONTAINER: 'rslave',
  PROPAGATION_BIDIRECTIONAL: 'rshared',
};

/** The bind mount options kubelet may pass (VolumeBindMountOptions); Status reports them supported. */
const BIND_MOUNT_OPTIONS = new Set(['noexec', 'nodev', 'nosuid']);

/** mount_options checked against what a bind mount may take, without repeats. */
function bindMountOptions(options: readonly string[], field: string): string[] {
  for (const [i, option] of options.entries()) {
    if (!BIND_MOUNT_OPTIONS.has(option)) {
      throw new InvalidArgumentError(`${field}.mount_options[${i}] "${option}" is not a bind mount option cri-ts applies; use noexec, nodev or nosuid`);
    }
  }
  return [...new Set(options)];
}

/**
 * A CRI mount as an OCI bind mount. A missing host path is created as a
 * directory, as kubelet expects (its hostPath volumes rely on that). An
 * image mount binds `imageSource`, where the container side mounted the
 * image, read-only, without setuid or device files, still executable.
 * uidMappings and gidMappings make it an idmapped mount, for a container
 * in its pod's own user namespace (`inPodUserNamespace`).
 */
export async function toOciMount(mount: Mount__Output, index: number, imageSource?: string, inPodUserNamespace = false): Promise<OciMount> {
  const field = `mounts[${index}]`;
  if (!mount.containerPath.startsWith('/')) throw new InvalidArgumentError(`${field}.container_path "${mount.containerPath}" must be an absolute path`);
  const isImage = Boolean(mount.image?.image);
  if (isImage && imageSource === undefined) throw new InvalidArgumentError(`${field}.image: no image was mounted for this mount`);
  const source = isImage ? imageSource! : mount.hostPath;
  if (!isImage) {
    if (!source.startsWith('/')) throw new InvalidArgumentError(`${field}.host_path "${source}" must be an absolute path`);
    const existing = await stat(source).catch(() => undefined);
    if (!existing) await mkdir(source, { recursive: true, mode: 0o755 });
  }
  if (mount.recursiveReadOnly) {
    if (!mount.readonly) throw new InvalidArgumentError(`${field}.recursive_read_only needs readonly to be true as well`);
    if (mount.propagation !== 'PROPAGATION_PRIVATE') {
      throw new InvalidArgumentError(`${field}.recursive_read_only needs propagation PROPAGATION_PRIVATE, not ${mount.propagation}`);
    }
  }
  const options = ['rbind', PROPAGATION[mount.propagation] ?? 'rprivate', mount.readonly ? 'ro' : 'rw'];
  if (mount.recursiveReadOnly) options.push('rro');
  if (isImage) options.push('nosuid', 'nodev');
  options.push(...bindMountOptions(mount.mountOptions ?? [], field).filter((o) => !options.includes(o)));
  // An image mount is an overlay, which the kernel cannot idmap: its files keep the image's IDs, read-only.
  const idmap = isImage ? undefined : mountIdMappings(mount, field, inPodUserNamespace);
  return { destination: mount.containerPath, type: 'bind', source, options, ...idmap };
}

/** Path components of a mount's destination: a mount must come after those it is inside of. */
const depth = (path: string): number => path.split('/').filter(Boolean).length;

/**
 * Applies the CRI mounts and the image's volumes (writable directories of
 * the container's own), parents before what is inside them; a mount over a
 * default mount (say /dev/shm) replaces it. `imageSources` gives the host
 * directory of each image mount, by its index in `mounts`.
 */
export async function withCriMounts(
  spec: OciSpec,
  mounts: readonly Mount__Output[],
  volumes: readonly VolumeDirectory[] = [],
  imageSources: ReadonlyMap<number, string> = new Map(),
  inPodUserNamespace = false,
): Promise<void> {
  const all: OciMount[] = [];
  for (const [i, mount] of mounts.entries()) all.push(await toOciMount(mount, i, imageSources.get(i), inPodUserNamespace));
  for (const volume of volumes) all.push({ destination: volume.containerPath, type: 'bind', source: volume.hostPath, options: ['rbind', 'rprivate', 'rw'] });
  // A stable sort keeps the CRI order among mounts of one depth.
  for (const mount of all.sort((a, b) => depth(a.destination) - depth(b.destination))) setMount(spec, mount);
  // Propagation out of (or into) the container needs its root mount shared (or a slave) too, as containerd sets it.
  const linux = (spec.linux ??= {});
  if (mounts.some((m) => m.propagation === 'PROPAGATION_BIDIRECTIONAL')) linux.rootfsPropagation = 'rshared';
  else if (mounts.some((m) => m.propagation === 'PROPAGATION_HOST_TO_CONTAINER')) linux.rootfsPropagation = 'rslave';
}

/**
 * The pod's shared files, unless the container mounts its own at those paths.
 * In the pod's own user namespace they are idmapped with `podMappings`, so
 * the pod's root owns them as root owns them outside (shm is a tmpfs of
 * mode 1777 and stays as it is, as with containerd).
 */
export function withSandboxFiles(
  spec: OciSpec,
  files: { hosts: string; resolvConf: string; hostname: string; shm: string },
  criMounts: readonly Mount__Output[],
  readonlyRootfs: boolean,
  podMappings?: { uidMappings: OciIdMapping[]; gidMappings: OciIdMapping[] },
): void {
  const taken = new Set(criMounts.map((m) => m.containerPath));
  const mode = readonlyRootfs ? 'ro' : 'rw';
  const binds: Array<[string, string, string[]]> = [
    ['/etc/hosts', files.hosts, ['rbind', 'rprivate', mode]],
    ['/etc/resolv.conf', files.resolvConf, ['rbind', 'rprivate', mode]],
    ['/etc/hostname', files.hostname, ['rbind', 'rprivate', mode]],
    ['/dev/shm', files.shm, ['rbind', 'rprivate', 'rw', 'nosuid', 'nodev', 'noexec']],
  ];
  for (const [destination, source, options] of binds) {
    if (taken.has(destination)) continue;
    setMount(spec, { destination, type: 'bind', source, options, ...(podMappings && destination !== '/dev/shm' ? podMappings : {}) });
  }
}
