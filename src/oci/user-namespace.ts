import { InvalidArgumentError } from '../errors.js';
import type { IDMapping__Output } from '../generated/cri/runtime/v1/IDMapping.js';
import type { UserNamespace__Output } from '../generated/cri/runtime/v1/UserNamespace.js';
import { setMount } from './default-spec.js';
import { withNamespace } from './namespaces.js';
import type { OciIdMapping, OciSpec } from './oci-types.js';

/** Where a pod config and a container config keep their user namespace options. */
export const USERNS_FIELD = 'linux.security_context.namespace_options.userns_options';

/**
 * A pod's user namespace: the node's, or one of the pod's own, shared by the
 * pause and app containers, with one uid and one gid mapping from container
 * ID 0 (what kubelet sends, and what a remapped root filesystem can follow).
 */
export type PodUserNamespace = { mode: 'node' } | { mode: 'pod'; uidMapping: OciIdMapping; gidMapping: OciIdMapping };

/** A user namespace mapping's IDs are 32-bit; the kernel refuses a range that reaches 2^32 - 1 (the invalid ID). */
const ID_LIMIT = 2 ** 32 - 1;

/** One CRI mapping as OCI's, refused when empty or past the 32-bit IDs. */
function toOciMapping(mapping: IDMapping__Output, field: string): OciIdMapping {
  const { containerId, hostId, length } = mapping;
  if (length < 1) throw new InvalidArgumentError(`${field}.length is ${length}; a mapping needs at least one ID`);
  if (containerId + length > ID_LIMIT || hostId + length > ID_LIMIT) {
    throw new InvalidArgumentError(`${field} maps ${length} IDs from container ID ${containerId} to host ID ${hostId}, past the last valid ID ${ID_LIMIT - 1}`);
  }
  return { containerID: containerId, hostID: hostId, size: length };
}

/** The pod's one mapping of `kind` ('uids' or 'gids'). */
function podMapping(options: UserNamespace__Output, kind: 'uids' | 'gids', field: string): OciIdMapping {
  const mappings = options[kind];
  if (mappings.length !== 1) {
    throw new InvalidArgumentError(
      `${field}.${kind} has ${mappings.length} mappings; mode POD takes exactly one (container_id 0, host_id, length), as kubelet sends`,
    );
  }
  const mapping = toOciMapping(mappings[0]!, `${field}.${kind}[0]`);
  if (mapping.containerID !== 0) {
    throw new InvalidArgumentError(`${field}.${kind}[0].container_id is ${mapping.containerID}; the mapping must start at container ID 0, the pod's root`);
  }
  return mapping;
}

/**
 * The user namespace a pod config asks for, checked: none given or mode NODE
 * is the node's; POD is the pod's own with the mappings given. CONTAINER and
 * TARGET have no meaning for a user namespace (containerd refuses them too).
 */
export function podUserNamespace(options: UserNamespace__Output | null | undefined, field = USERNS_FIELD): PodUserNamespace {
  if (!options) return { mode: 'node' };
  if (options.mode === 'NODE') {
    if (options.uids.length > 0 || options.gids.length > 0) {
      throw new InvalidArgumentError(`${field}: mode NODE takes no uids or gids (the pod uses the node's user namespace); remove them or use mode POD`);
    }
    return { mode: 'node' };
  }
  if (options.mode !== 'POD') {
    throw new InvalidArgumentError(`${field}.mode ${options.mode} is not supported for a user namespace; use NODE (the node's) or POD (the pod's own, with uids and gids)`);
  }
  return { mode: 'pod', uidMapping: podMapping(options, 'uids', field), gidMapping: podMapping(options, 'gids', field) };
}

const sameMapping = (a: OciIdMapping, b: OciIdMapping): boolean => a.containerID === b.containerID && a.hostID === b.hostID && a.size === b.size;

/**
 * A container's user namespace is its pod's: a container config that names
 * none gets the pod's, one that names another is refused (as containerd does).
 */
export function containerUserNamespace(options: UserNamespace__Output | null | undefined, pod: PodUserNamespace): PodUserNamespace {
  if (!options) return pod;
  const own = podUserNamespace(options);
  const same = own.mode === pod.mode && (own.mode === 'node' || (pod.mode === 'pod' && sameMapping(own.uidMapping, pod.uidMapping) && sameMapping(own.gidMapping, pod.gidMapping)));
  if (!same) {
    throw new InvalidArgumentError(`${USERNS_FIELD} differs from the pod's; a container shares its pod's user namespace (send the pod's userns_options, or none)`);
  }
  return pod;
}

/**
 * The pod's own user namespace: created with the pod's mappings (the pause
 * container) or joined by path (app containers). A joining spec keeps the
 * mappings too, as containerd's does: containerd's shim opens the bundle
 * directory to the mapped root group only when the spec has them (runc
 * then warns that the namespace has them already).
 */
export function withUserNamespace(spec: OciSpec, choice: { join?: string; uidMapping: OciIdMapping; gidMapping: OciIdMapping }): void {
  withNamespace(spec, 'user', choice.join ? { kind: 'join', path: choice.join } : { kind: 'new' });
  const linux = (spec.linux ??= {});
  linux.uidMappings = [choice.uidMapping];
  linux.gidMappings = [choice.gidMapping];
}

/**
 * sysfs can only be mounted from a user namespace that owns the network
 * namespace: a host-network pod in its own user namespace gets the node's
 * /sys bound read-only instead (recursively, as containerd does).
 */
export function withHostSysfs(spec: OciSpec): void {
  setMount(spec, { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'rro', 'nosuid', 'nodev', 'noexec'] });
}

/**
 * A CRI mount's uidMappings and gidMappings as the OCI mount's idmap
 * (runc 1.2+ makes an idmapped bind mount); undefined for a mount without.
 * Only a container in its pod's own user namespace may have them: Debian's
 * runc 1.1 would ignore the fields and mount without the mapping.
 */
export function mountIdMappings(
  mount: { uidMappings?: readonly IDMapping__Output[]; gidMappings?: readonly IDMapping__Output[] },
  field: string,
  inPodUserNamespace: boolean,
): { uidMappings: OciIdMapping[]; gidMappings: OciIdMapping[] } | undefined {
  const { uidMappings = [], gidMappings = [] } = mount;
  if (uidMappings.length === 0 && gidMappings.length === 0) return undefined;
  if (!inPodUserNamespace) {
    throw new InvalidArgumentError(`${field}.uidMappings: idmapped mounts are for containers of a pod in its own user namespace (${USERNS_FIELD} mode POD)`);
  }
  if (uidMappings.length === 0 || gidMappings.length === 0) {
    throw new InvalidArgumentError(`${field}: uidMappings and gidMappings go together; give both or neither`);
  }
  return {
    uidMappings: uidMappings.map((m, i) => toOciMapping(m, `${field}.uidMappings[${i}]`)),
    gidMappings: gidMappings.map((m, i) => toOciMapping(m, `${field}.gidMappings[${i}]`)),
  };
}
