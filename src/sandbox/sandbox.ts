import type { PodNetworkAttachment } from '../cni/pod-network.js';
import type { PhaseTiming } from '../metrics/phase-timer.js';
import type { OciSpec } from '../oci/oci-types.js';
import type { PodSandboxConfig__Output } from '../generated/cri/runtime/v1/PodSandboxConfig.js';

export type SandboxState = 'ready' | 'notready';

/** What cri-ts keeps about a pod in containerd (a container extension), so it survives restarts. */
export interface SandboxMetadata {
  version: 1;
  id: string;
  config: PodSandboxConfig__Output;
  runtimeHandler: string;
  createdAtNs: string;
  /** The pinned network namespace; '' for host-network pods or after it was removed. */
  netnsPath: string;
  hostNetwork: boolean;
  /** Pod IPs from CNI, primary first. */
  ips: string[];
  cgroupsPath: string;
  /** The pause image's ID. */
  imageId: string;
  snapshotter: string;
  /** Set once RunPodSandbox finished; a record without it was cut short (cri-ts died) and is cleaned up on start. */
  complete: boolean;
  /** Set once StopPodSandbox finished: the network is torn down and the pause task gone. */
  stopped: boolean;
}

/** Where a pod's own files live: persistent ones under root, the shm tmpfs under state. */
export interface SandboxPaths {
  dir: string;
  hostname: string;
  hosts: string;
  resolvConf: string;
  /** A tmpfs every container of the pod mounts at /dev/shm (they share IPC). */
  shm: string;
}

/**
 * A pod sandbox as the in-memory index holds it. This module is the pod
 * side's public API (Sandbox, PodLookup, PodContainers): the container
 * lifecycle uses nothing else of src/sandbox.
 */
export class Sandbox {
  state: SandboxState;
  pid: number;
  /** Kept from RunPodSandbox for verbose status; after a restart read back from containerd and the CNI cache. */
  spec: OciSpec | undefined;
  networkAttachments: PodNetworkAttachment[] | undefined;
  /** How long each phase of RunPodSandbox took; in memory only, so absent after a cri-ts restart. */
  startPhases: PhaseTiming[] | undefined;

  constructor(
    public metadata: SandboxMetadata,
    readonly paths: SandboxPaths,
    state: SandboxState,
    pid = 0,
  ) {
    this.state = state;
    this.pid = pid;
  }

  get id(): string {
    return this.metadata.id;
  }

  /** The pod's name key: two sandboxes may not share name, namespace, uid and attempt. */
  get nameKey(): string {
    return sandboxNameKey(this.metadata.config);
  }
}

export function sandboxNameKey(config: PodSandboxConfig__Output): string {
  const m = config.metadata;
  return `${m?.name ?? ''}_${m?.namespace ?? ''}_${m?.uid ?? ''}_${m?.attempt ?? 0}`;
}

/** How the container lifecycle finds the pod a container belongs to. */
export interface PodLookup {
  /** By full ID or unique prefix; NotFound otherwise. */
  get(idOrPrefix: string): Sandbox;
  find(idOrPrefix: string): Sandbox | undefined;
}

/**
 * What stopping or removing a pod does to its containers. The container
 * lifecycle implements it and is handed to the pod lifecycle when that is
 * built: the pod side never imports the container side.
 */
export interface PodContainers {
  /** Kills every container of the pod, each under its own lock (no grace: kubelet stops them first). */
  stopContainersOf(podId: string): Promise<void>;
  /** Removes every container of the pod, each under its own lock. */
  removeContainersOf(podId: string): Promise<void>;
}
