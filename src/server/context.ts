import type { CniNetworkConfig } from '../cni/network-config.js';
import type { CriTsConfig } from '../config/config.js';
import type { ContainerLifecycle } from '../container/container-lifecycle.js';
import type { ImageCatalog } from '../image/image-catalog.js';
import type { ImagePuller } from '../image/pull/image-puller.js';
import type { SnapshotterUsageMeter } from '../image/snapshotter-usage.js';
import type { Logger } from '../log.js';
import type { PodLifecycle } from '../sandbox/pod-lifecycle.js';
import type { StatsService } from '../stats/stats-service.js';
import type { StreamingRequest } from '../streaming/types.js';

/** Where Exec, Attach and PortForward send clients: a single-use URL on the streaming server. */
export interface StreamingEndpoint {
  requestUrl(request: StreamingRequest): string;
}

/** Whether containerd answers, for Status's RuntimeReady; the containerd client itself stays below the edge. */
export interface ContainerdProbe {
  readonly address: string;
  /** Resolves when containerd answered within `timeoutMs`; rejects with why not. */
  check(timeoutMs: number): Promise<void>;
}

/** What every RPC handler may use; built once by the daemon. */
export interface ServerContext {
  readonly config: CriTsConfig;
  readonly log: Logger;
  /** restrict_oom_score_adj after "auto" was resolved against our capabilities. */
  readonly restrictOomScoreAdj: boolean;
  readonly containerd: ContainerdProbe;
  /** The CNI conf dir's network configs as loaded now (Status's NetworkReady). */
  readonly networkConfigs: { current(): Promise<CniNetworkConfig[]> };
  /** The image filesystem's usage for ImageFsInfo, cached briefly. */
  readonly imageFsUsage: SnapshotterUsageMeter;
  /** The CRI view of containerd's image records. */
  readonly images: ImageCatalog;
  readonly puller: ImagePuller;
  readonly pods: PodLifecycle;
  readonly containers: ContainerLifecycle;
  readonly stats: StatsService;
  readonly streaming: StreamingEndpoint;
  /** Settles once the pod and container indexes were rebuilt from containerd (and NRI plugins under plugin_path synchronized with them); pod and container calls wait for it. */
  readonly recovered: Promise<void>;
}
