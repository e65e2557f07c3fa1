import type { ContainerConfig__Output } from '../generated/cri/runtime/v1/ContainerConfig.js';
import type { TextEnvVar } from './container-env.js';
import type { ImageMount } from './image-mounts.js';
import type { ContainerIo } from './io/container-io.js';
import type { SnapshotMount } from './rootfs-files.js';
import type { PhaseTiming } from '../metrics/phase-timer.js';
import type { OciSpec } from '../oci/oci-types.js';
import { Semaphore } from '../store/semaphore.js';

/**
 * The shim starts exec'd processes one runc call at a time; queueing them here
 * instead keeps each containerd call within its deadline when kubelet probes
 * and users exec many at once.
 */
const CONCURRENT_EXEC_STARTS = 4;

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** The user the container's process runs as, as resolved at creation. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

/**
 * The CreateContainer config as the record keeps it: env values as text, so
 * its JSON holds no serialized Buffers, and the stop signal's enum name, which
 * records from before cri-api v0.37 spell without the SIGNAL_ prefix.
 */
export type StoredContainerConfig = Omit<ContainerConfig__Output, 'envs' | 'stopSignal'> & { envs: TextEnvVar[]; stopSignal: string };

/** What cri-ts keeps about a container in containerd (a container extension), so it survives restarts. */
export interface ContainerMetadata {
  version: 1;
  id: string;
  sandboxId: string;
  config: StoredContainerConfig;
  /** The image's ID (config digest) and the name it was found by. */
  imageId: string;
  imageName: string;
  /** The repo digest (name@sha256:...) when the image has one, else the ID. */
  imageRef: string;
  /** Full path of the CRI log: the pod's log directory joined with config.log_path; '' for none. */
  logPath: string;
  snapshotter: string;
  /** Where runc put the container's cgroup: stats read it. */
  cgroupsPath: string;
  user: ResolvedUser;
  /** The image's stop signal, used by StopContainer when the config gives none. */
  stopSignal: string;
  /** The config's image mounts (Mount.image) as resolved at creation; absent in records from before image volumes. */
  imageMounts?: ImageMount[];
  state: ContainerState;
  createdAtNs: string;
  startedAtNs: string;
  finishedAtNs: string;
  exitCode: number;
  reason: string;
  message: string;
}

/** A container as the in-memory index holds it. */
export class Container {
  pid = 0;
  io: ContainerIo | undefined;
  /** IO opened by CreateContainer while containerd worked, for StartContainer to hand to the task (lost on a restart, then made anew). */
  preparedIo: ContainerIo | undefined;
  /** Set when containerd reported an OOM kill, so the exit reads OOMKilled. */
  oomKilled = false;
  /** The OCI spec (execs inherit its process; verbose status shows it); read back from containerd when absent (after a restart). */
  spec: OciSpec | undefined;
  /** The snapshot's mounts as Prepare returned them, for Tasks.Create; read back from containerd when absent (after a restart). */
  rootfsMounts: SnapshotMount[] | undefined;
  /** True while the container surely has no task in containerd (none made yet, or cri-ts deleted it), so removal need not ask. */
  taskGone = false;
  /** How long each phase of CreateContainer and StartContainer took; in memory only, so absent after a cri-ts restart. */
  createPhases: PhaseTiming[] | undefined;
  startPhases: PhaseTiming[] | undefined;

  private readonly exitListeners = new Set<() => void>();
  readonly execStarts = new Semaphore(CONCURRENT_EXEC_STARTS);

  constructor(public metadata: ContainerMetadata) {}

  /** Calls `listener` once the container's exit is recorded; returns an unsubscribe. */
  onExit(listener: () => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  notifyExit(): void {
    for (const listener of this.exitListeners) listener();
    this.exitListeners.clear();
  }

  get id(): string {
    return this.metadata.id;
  }

  get state(): ContainerState {
    return this.metadata.state;
  }

  get nameKey(): string {
    return containerNameKey(this.metadata.sandboxId, this.metadata.config);
  }
}

/** Two containers in one pod may not share a name and attempt. */
export function containerNameKey(sandboxId: string, config: Pick<ContainerConfig__Output, 'metadata'>): string {
  return `${config.metadata?.name ?? ''}_${sandboxId}_${config.metadata?.attempt ?? 0}`;
}
