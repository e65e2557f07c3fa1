import type { CriTsConfig } from '../config/config.js';
import type { ContainerdClient } from '../containerd/client.js';
import type { ImageCatalog } from '../image/image-catalog.js';
import type { ImagePuller } from '../image/pull/image-puller.js';
import type { SnapshotterUsageMeter } from '../image/snapshotter-usage.js';
import type { Logger } from '../log.js';
import type { ContainerRuntime } from '../container/container-runtime.js';
import type { PodRuntime } from '../sandbox/pod-runtime.js';
import type { StatsContext } from '../stats/stats-context.js';
import type { StreamingRequest } from '../streaming/types.js';

/** Where Exec, Attach and PortForward send clients: a single-use URL on the streaming server. */
export interface StreamingEndpoint {
  requestUrl(request: StreamingRequest): string;
}

/** What every RPC handler may use; built once by the daemon. */
export interface ServerContext {
  readonly config: CriTsConfig;
  readonly containerd: ContainerdClient;
  readonly log: Logger;
  /** restrict_oom_score_adj after "auto" was resolved against our capabilities. */
  readonly restrictOomScoreAdj: boolean;
  /** The image filesystem's usage for ImageFsInfo, cached briefly. */
  readonly imageFsUsage: SnapshotterUsageMeter;
  /** The CRI view of containerd's image records. */
  readonly images: ImageCatalog;
  readonly puller: ImagePuller;
  /** Pod sandboxes: their index, networks and lifecycle dependencies. */
  readonly pods: PodRuntime;
  /** App containers: their index and lifecycle dependencies. */
  readonly containers: ContainerRuntime;
  readonly stats: StatsContext;
  readonly streaming: StreamingEndpoint;
  /** Settles once the pod index was rebuilt from containerd; pod calls wait for it. */
  readonly recovered: Promise<void>;
}
