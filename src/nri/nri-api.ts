import type { LinuxContainerResources__Output } from '../generated/cri/runtime/v1/LinuxContainerResources.js';
import type { OciSpec } from '../oci/oci-types.js';
import type { NriContainerSource, NriPodSource } from './nri-objects.js';

/** A container as the container side hands it to NRI: its record, and its spec when in memory (read back otherwise). */
export type NriContainerView = NriContainerSource & { readonly spec: OciSpec | undefined };

/**
 * What the pod lifecycle tells NRI plugins. Steps that fail when a plugin
 * fails them throw; notifications only log a plugin's failure.
 */
export interface PodNri {
  /** False when NRI is off: no plugin hears of a step, so pod steps need not keep the order plugins are promised. */
  readonly enabled: boolean;
  /** Holds a connecting plugin's synchronization off until the returned function is called. */
  blockSync(): Promise<() => void>;
  /** The pod runs (its pause task started) but is not in the index yet; throws when a plugin refuses it. */
  runPodSandbox(pod: NriPodSource): Promise<void>;
  /** Its containers are stopped, its pause task gone; its network not yet torn down. */
  stopPodSandbox(pod: NriPodSource): Promise<void>;
  removePodSandbox(pod: NriPodSource): Promise<void>;
  /** kubelet resized the pod (UpdatePodSandboxResources): its new overhead and totals; throws when a plugin refuses. */
  updatePodSandbox(pod: NriPodSource, overhead: LinuxContainerResources__Output | null, resources: LinuxContainerResources__Output | null): Promise<void>;
  postUpdatePodSandbox(pod: NriPodSource): Promise<void>;
}

/** What the container lifecycle tells NRI plugins; `pod` is undefined when the pod is gone already. */
export interface ContainerNri {
  blockSync(): Promise<() => void>;
  /** Before the container's record is made: plugins' adjustments are applied to `spec`. Throws when a plugin refuses it. */
  createContainer(pod: NriPodSource, container: NriContainerSource, spec: OciSpec): Promise<void>;
  postCreateContainer(pod: NriPodSource, container: NriContainerView): Promise<void>;
  /** Before the task starts; throws when a plugin refuses it. */
  startContainer(pod: NriPodSource, container: NriContainerView): Promise<void>;
  postStartContainer(pod: NriPodSource, container: NriContainerView): Promise<void>;
  /** The resources to apply instead of `resources` (plugins may change them); throws when a plugin refuses the update. */
  updateContainer(pod: NriPodSource | undefined, container: NriContainerView, resources: LinuxContainerResources__Output): Promise<LinuxContainerResources__Output>;
  postUpdateContainer(pod: NriPodSource | undefined, container: NriContainerView): Promise<void>;
  /** The container stopped (asked to, or its process exited). */
  stopContainer(pod: NriPodSource | undefined, container: NriContainerView): Promise<void>;
  removeContainer(pod: NriPodSource | undefined, container: NriContainerView): Promise<void>;
}

const released = (): void => undefined;

/** NRI switched off ([nri] enable = false): every step goes on as if no plugin were there. */
export const disabledNri: PodNri & ContainerNri = {
  enabled: false,
  blockSync: async () => released,
  runPodSandbox: async () => undefined,
  stopPodSandbox: async () => undefined,
  removePodSandbox: async () => undefined,
  updatePodSandbox: async () => undefined,
  postUpdatePodSandbox: async () => undefined,
  createContainer: async () => undefined,
  postCreateContainer: async () => undefined,
  startContainer: async () => undefined,
  postStartContainer: async () => undefined,
  updateContainer: async (_pod, _container, resources) => resources,
  postUpdateContainer: async () => undefined,
  stopContainer: async () => undefined,
  removeContainer: async () => undefined,
};
