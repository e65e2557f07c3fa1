import { cgroupsPath, type CgroupDriver, withCgroupsPath } from '../oci/cgroups.js';
import { defaultSpec, setMount } from '../oci/default-spec.js';
import { withNamespace } from '../oci/namespaces.js';
import type { OciSpec } from '../oci/oci-types.js';
import { withOomScoreAdj } from '../oci/oom-score.js';
import { withAnnotations, withArgs, withEnv, withHostname, withReadonlyRootfs, withUserIds } from '../oci/process.js';
import { withSysctls } from '../oci/sysctls.js';
import { type PodUserNamespace, podUserNamespace, USERNS_FIELD, withHostSysfs, withUserNamespace } from '../oci/user-namespace.js';
import { InvalidArgumentError } from '../errors.js';
import type { PodSandboxConfig__Output } from '../generated/cri/runtime/v1/PodSandboxConfig.js';
import type { ImageConfig } from '../image/image-config.js';

/** The pause process is the last a pod should lose to the OOM killer (kubelet's value for it). */
const SANDBOX_OOM_SCORE_ADJ = -998;
/** The pause process needs almost no CPU; containerd gives it the minimum weight. */
const SANDBOX_CPU_SHARES = 2;

export interface SandboxSpecInput {
  id: string;
  config: PodSandboxConfig__Output;
  image: ImageConfig;
  imageName: string;
  /** The pinned netns to join; undefined for host-network pods and pods in their own user namespace (the pause container makes the netns). */
  netnsPath: string | undefined;
  /** The pod's shm tmpfs; undefined when the pod shares the host's IPC. */
  shmPath: string | undefined;
  cgroupDriver: CgroupDriver;
  containerdNamespace: string;
  restrictOomScoreAdj: boolean;
  enableUnprivilegedPorts: boolean;
  enableUnprivilegedIcmp: boolean;
}

export interface NamespaceModes {
  hostNetwork: boolean;
  hostPid: boolean;
  hostIpc: boolean;
  userNamespace: PodUserNamespace;
}

/** The pod's namespaces as its config asks, checked (InvalidArgument naming the field). */
export function namespaceModes(config: PodSandboxConfig__Output): NamespaceModes {
  const options = config.linux?.securityContext?.namespaceOptions;
  const modes = {
    hostNetwork: options?.network === 'NODE',
    hostPid: options?.pid === 'NODE',
    hostIpc: options?.ipc === 'NODE',
    userNamespace: podUserNamespace(options?.usernsOptions),
  };
  // /proc and /dev/mqueue mount only from the user namespace that owns the pid or ipc namespace (Kubernetes forbids these too).
  if (modes.userNamespace.mode === 'pod' && (modes.hostPid || modes.hostIpc)) {
    throw new InvalidArgumentError(`${USERNS_FIELD} mode POD cannot be combined with the node's ${modes.hostPid ? 'pid' : 'ipc'} namespace (namespace_options.${modes.hostPid ? 'pid' : 'ipc'} NODE)`);
  }
  return modes;
}

function int64(value: { value: string } | null | undefined): number | undefined {
  return value ? Number(value.value) : undefined;
}

/** The OCI spec of a pod's pause container. */
export function buildSandboxSpec(input: SandboxSpecInput): OciSpec {
  const { config, id } = input;
  const modes = namespaceModes(config);
  const userns = modes.userNamespace;
  const security = config.linux?.securityContext ?? null;
  const spec = defaultSpec();

  const args = [...input.image.entrypoint, ...input.image.cmd];
  if (args.length === 0) throw new InvalidArgumentError(`sandbox image ${input.imageName} has no entrypoint or command to run`);
  withArgs(spec, args);
  withEnv(spec, input.image.env);
  withReadonlyRootfs(spec, true);

  // A pod's own user namespace must own its network namespace (sysfs and net sysctls need that): the pause container makes both.
  withNamespace(spec, 'network', modes.hostNetwork ? { kind: 'host' } : userns.mode === 'pod' ? { kind: 'new' } : { kind: 'join', path: input.netnsPath! });
  if (userns.mode === 'pod') {
    withUserNamespace(spec, userns);
    if (modes.hostNetwork) withHostSysfs(spec);
  }
  withNamespace(spec, 'pid', modes.hostPid ? { kind: 'host' } : { kind: 'new' });
  withNamespace(spec, 'ipc', modes.hostIpc ? { kind: 'host' } : { kind: 'new' });
  // A host-network pod sees the node's hostname; others get their own UTS namespace.
  withNamespace(spec, 'uts', modes.hostNetwork ? { kind: 'host' } : { kind: 'new' });
  if (!modes.hostNetwork) withHostname(spec, config.hostname);

  const shmSource = modes.hostIpc ? '/dev/shm' : input.shmPath!;
  setMount(spec, { destination: '/dev/shm', type: 'bind', source: shmSource, options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] });

  const uid = int64(security?.runAsUser) ?? 0;
  const gid = int64(security?.runAsGroup) ?? 0;
  withUserIds(spec, uid, gid, (security?.supplementalGroups ?? []).map(Number));

  const sysctls: Record<string, string> = {};
  if (!modes.hostNetwork) {
    if (input.enableUnprivilegedPorts) sysctls['net.ipv4.ip_unprivileged_port_start'] = '0';
    // Only mapped group IDs may be written there: a pod's own user namespace maps far fewer (containerd skips it too).
    if (input.enableUnprivilegedIcmp && userns.mode === 'node') sysctls['net.ipv4.ping_group_range'] = '0 2147483647';
  }
  withSysctls(spec, { ...sysctls, ...(config.linux?.sysctls ?? {}) }, { network: modes.hostNetwork, ipc: modes.hostIpc });

  withCgroupsPath(spec, cgroupsPath(config.linux?.cgroupParent ?? '', id, input.cgroupDriver, input.containerdNamespace));
  spec.linux!.resources = { ...spec.linux!.resources, cpu: { shares: SANDBOX_CPU_SHARES } };
  withOomScoreAdj(spec, SANDBOX_OOM_SCORE_ADJ, input.restrictOomScoreAdj);

  const m = config.metadata;
  withAnnotations(spec, {
    'io.kubernetes.cri.container-type': 'sandbox',
    'io.kubernetes.cri.sandbox-id': id,
    'io.kubernetes.cri.sandbox-name': m?.name ?? '',
    'io.kubernetes.cri.sandbox-namespace': m?.namespace ?? '',
    'io.kubernetes.cri.sandbox-uid': m?.uid ?? '',
    'io.kubernetes.cri.sandbox-log-directory': config.logDirectory,
    'io.kubernetes.cri.image-name': input.imageName,
  });
  return spec;
}
