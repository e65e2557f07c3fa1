import type { PodSandboxConfig__Output } from '../generated/cri/runtime/v1/PodSandboxConfig.js';
import type { SecurityProfile__Output } from '../generated/cri/runtime/v1/SecurityProfile.js';
import type { OciSpec } from '../oci/oci-types.js';
import type { IOPrioClass } from '../generated/nri/nri/pkg/api/v1alpha1/IOPrioClass.js';
import type { _nri_pkg_api_v1alpha1_SecurityProfile_ProfileType__Output as SecurityProfileType } from '../generated/nri/nri/pkg/api/v1alpha1/SecurityProfile.js';
import type { Container, NriContainerState, PodSandbox } from './nri-types.js';
import { nriDevices, nriHooks, nriMounts, nriResources, nriResourcesFromCri, nriRlimits, nriSeccomp } from './oci-to-nri.js';

/** What NRI tells plugins about a pod; the pod side's Sandbox has this shape. */
export interface NriPodSource {
  readonly id: string;
  readonly pid: number;
  readonly spec: OciSpec | undefined;
  readonly metadata: {
    readonly config: PodSandboxConfig__Output;
    readonly runtimeHandler: string;
    readonly ips: readonly string[];
    readonly cgroupsPath: string;
    /** Its network namespace is gone once the pod is stopped. */
    readonly stopped: boolean;
  };
}

/** What NRI tells plugins about a container; the container side's Container has this shape (its spec comes separately). */
export interface NriContainerSource {
  readonly id: string;
  readonly pid: number;
  readonly metadata: {
    readonly sandboxId: string;
    readonly config: {
      readonly metadata: { readonly name: string } | null;
      readonly labels: Readonly<Record<string, string>>;
      readonly annotations: Readonly<Record<string, string>>;
      readonly linux: { readonly securityContext: { readonly seccomp: SecurityProfile__Output | null } | null } | null;
      readonly CDIDevices: ReadonlyArray<{ readonly name: string }>;
    };
    readonly state: 'created' | 'running' | 'exited' | 'unknown';
    readonly createdAtNs: string;
    readonly startedAtNs: string;
    readonly finishedAtNs: string;
    readonly exitCode: number;
    readonly reason: string;
    readonly message: string;
    readonly imageName: string;
    readonly imageId: string;
    readonly imageRef: string;
  };
}

export function nriPod(pod: NriPodSource): PodSandbox {
  const { config } = pod.metadata;
  const spec = pod.spec;
  // The network namespace is removed when the pod stops; a plugin must not be handed its stale path.
  const namespaces = (spec?.linux?.namespaces ?? []).filter((n) => !(n.type === 'network' && (pod.metadata.stopped || !n.path)));
  return {
    id: pod.id,
    name: config.metadata?.name ?? '',
    uid: config.metadata?.uid ?? '',
    namespace: config.metadata?.namespace ?? '',
    labels: { ...config.labels },
    annotations: { ...config.annotations, ...(spec?.annotations ?? {}) },
    runtimeHandler: pod.metadata.runtimeHandler,
    linux: {
      podOverhead: nriResourcesFromCri(config.linux?.overhead),
      podResources: nriResourcesFromCri(config.linux?.resources),
      cgroupParent: config.linux?.cgroupParent ?? '',
      cgroupsPath: spec?.linux?.cgroupsPath ?? pod.metadata.cgroupsPath,
      namespaces: namespaces.map((n) => ({ type: n.type, path: n.path ?? '' })),
      resources: nriResources(spec?.linux?.resources),
    },
    pid: pod.pid,
    ips: [...pod.metadata.ips],
  };
}

const PROFILE_TYPES: Record<SecurityProfile__Output['profileType'], SecurityProfileType> = {
  RuntimeDefault: 'RUNTIME_DEFAULT',
  Unconfined: 'UNCONFINED',
  Localhost: 'LOCALHOST',
};

const STATES: Record<NriContainerSource['metadata']['state'], NriContainerState> = {
  created: 'CONTAINER_CREATED',
  running: 'CONTAINER_RUNNING',
  exited: 'CONTAINER_STOPPED',
  unknown: 'CONTAINER_UNKNOWN',
};

/** The container as plugins see it, from its record and OCI spec; `state` overrides the record's (a container being created has none yet). */
export function nriContainer(container: NriContainerSource, spec: OciSpec, state?: NriContainerState): Container {
  const m = container.metadata;
  const seccomp = m.config.linux?.securityContext?.seccomp;
  const process = spec.process;
  const linux = spec.linux;
  const at = m.imageRef.indexOf('@');
  return {
    id: container.id,
    podSandboxId: m.sandboxId,
    name: m.config.metadata?.name ?? '',
    state: state ?? STATES[m.state],
    labels: { ...m.config.labels },
    annotations: { ...(spec.annotations ?? {}), ...m.config.annotations },
    args: [...(process?.args ?? [])],
    env: [...(process?.env ?? [])],
    mounts: nriMounts(spec.mounts),
    hooks: nriHooks(spec.hooks),
    linux: {
      namespaces: (linux?.namespaces ?? []).map((n) => ({ type: n.type, path: n.path ?? '' })),
      devices: nriDevices(linux?.devices),
      resources: nriResources(linux?.resources),
      oomScoreAdj: process?.oomScoreAdj === undefined ? null : { value: process.oomScoreAdj },
      cgroupsPath: linux?.cgroupsPath ?? '',
      ioPriority: process?.ioPriority ? { class: process.ioPriority.class as IOPrioClass, priority: process.ioPriority.priority } : null,
      seccompProfile: seccomp ? { profileType: PROFILE_TYPES[seccomp.profileType], localhostRef: seccomp.localhostRef } : null,
      seccompPolicy: nriSeccomp(linux?.seccomp),
      sysctl: { ...(linux?.sysctl ?? {}) },
    },
    pid: container.pid,
    rlimits: nriRlimits(spec),
    createdAt: m.createdAtNs,
    startedAt: m.startedAtNs,
    finishedAt: m.finishedAtNs,
    exitCode: m.exitCode,
    statusReason: m.reason,
    statusMessage: m.message,
    // Records written before CRI had CDI devices have none.
    CDIDevices: (m.config.CDIDevices ?? []).map((d) => ({ name: d.name })),
    user: process ? { uid: process.user.uid, gid: process.user.gid, additionalGids: [...(process.user.additionalGids ?? [])] } : null,
    image: { name: m.imageName, digest: at >= 0 ? m.imageRef.slice(at + 1) : '', configDigest: m.imageId },
  };
}
