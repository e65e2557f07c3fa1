import type { PodNetworks } from '../cni/pod-network.js';
import type { CriTsConfig } from '../config/config.js';
import type { ContainerdClient } from '../containerd/client.js';
import type { ImageCatalog } from '../image/image-catalog.js';
import type { ImagePuller } from '../image/pull/image-puller.js';
import type { Logger } from '../log.js';
import type { SandboxStore } from './sandbox-store.js';

/** What the containers side does for a pod that is stopped or removed. */
export interface PodContainerHooks {
  stopContainersOf(podId: string): Promise<void>;
  removeContainersOf(podId: string): Promise<void>;
}

/** Everything the pod lifecycle needs; built once by the daemon. */
export interface PodRuntime {
  readonly containerd: ContainerdClient;
  readonly config: CriTsConfig;
  readonly store: SandboxStore;
  readonly networks: PodNetworks;
  readonly images: ImageCatalog;
  readonly puller: ImagePuller;
  readonly log: Logger;
  readonly restrictOomScoreAdj: boolean;
  containers: PodContainerHooks;
}
