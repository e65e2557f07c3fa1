import type { PodNetworks } from '../cni/pod-network.js';
import type { CriTsConfig } from '../config/config.js';
import type { ContainerdClient } from '../containerd/client.js';
import type { ImageCatalog } from '../image/image-catalog.js';
import type { ImagePuller } from '../image/pull/image-puller.js';
import type { Logger } from '../log.js';
import type { PodNri } from '../nri/nri-api.js';
import type { PodContainers } from './sandbox.js';
import type { SandboxStore } from './sandbox-store.js';

/** Everything the pod lifecycle uses; built once by the daemon. */
export interface PodContext {
  readonly containerd: ContainerdClient;
  readonly config: CriTsConfig;
  /** restrict_oom_score_adj after "auto" was resolved against our capabilities. */
  readonly restrictOomScoreAdj: boolean;
  readonly log: Logger;
  readonly store: SandboxStore;
  readonly networks: PodNetworks;
  /** Where the sandbox image is looked up, and pulled from when absent. */
  readonly images: Pick<ImageCatalog, 'find'>;
  readonly puller: Pick<ImagePuller, 'pull'>;
  readonly containers: PodContainers;
  /** NRI plugins, told of each pod step (a no-op when NRI is off). */
  readonly nri: PodNri;
}
