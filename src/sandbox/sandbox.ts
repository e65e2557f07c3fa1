import type { PodNetworkAttachment } from '../cni/pod-network.js';
import type { OciSpec } from '../container/spec/oci-types.js';
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

/** A pod sandbox as the in-memory index holds it. */
export class Sandbox {
  state: SandboxState;
  pid: number;
  /** Kept from RunPodSandbox for verbose status; after a restart read back from containerd and the CNI cache. */
  spec: OciSpec | undefined;
  networkAttachments: PodNetworkAttachment[] | undefined;

  constructor(
    public metadata: SandboxMetadata,
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
