import type { PodNetworkAttachment } from '../cni/pod-network.js';
import type { TaskState } from '../containerd/tasks.js';
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
import type { LinuxContainerResources__Output } from '../generated/cri/runtime/v1/LinuxContainerResources.js';
import type { PodSandboxConfig__Output } from '../generated/cri/runtime/v1/PodSandboxConfig.js';
import type { OciSpec } from '../oci/oci-types.js';
import { readStoredSpec } from '../records/stored-spec.js';
import type { PortForwarder } from '../streaming/types.js';
import type { PodContext } from './pod-context.js';
import { podPortForwarder } from './port-forward.js';
import {
  leftoverSandboxRecords,
  onSandboxTaskExit,
  type PodRecoverySnapshot,
  type RecoveredSandboxes,
  readPodRecoverySnapshot,
  reconcileSandboxStates,
  recoverSandboxes,
} from './recover-sandboxes.js';
import { recordExists } from '../records/container-records.js';
import { removeSandbox } from './remove-sandbox.js';
import { runSandbox } from './run-sandbox.js';
import type { PodLookup, Sandbox } from './sandbox.js';
import { stopSandbox } from './stop-sandbox.js';
import { removeOrphanedPods } from './orphaned-pods.js';

/** What verbose PodSandboxStatus shows beyond the index. */
export interface SandboxDetails {
  spec: OciSpec | undefined;
  networkAttachments: PodNetworkAttachment[] | undefined;
}

/**
 * The pod lifecycle: every pod operation the CRI edge calls, each taking the
 * pod's lock itself (the operation modules it calls work on a locked pod).
 */
export class PodLifecycle implements PodLookup {
  constructor(private readonly ctx: PodContext) {}

  /** RunPodSandbox: the new pod's ID. A new pod has no lock yet; its name is reserved instead. */
  run(config: PodSandboxConfig__Output, runtimeHandler: string): Promise<string> {
    return runSandbox(this.ctx, config, runtimeHandler);
  }

  /** StopPodSandbox. Idempotent: stopping a stopped pod, or one already removed, succeeds (CRI's rule). */
  async stop(idOrPrefix: string): Promise<void> {
    const sandbox = this.ctx.store.find(idOrPrefix);
    if (!sandbox) return;
    await this.ctx.store.lock.run(sandbox.id, () => stopSandbox(this.ctx, sandbox));
  }

  /** RemovePodSandbox. Idempotent: a pod that is not there is already removed. */
  async remove(idOrPrefix: string): Promise<void> {
    const sandbox = this.ctx.store.find(idOrPrefix);
    if (!sandbox) return;
    await this.ctx.store.lock.run(sandbox.id, async () => {
      if (this.ctx.store.holds(sandbox)) await removeSandbox(this.ctx, sandbox);
    });
  }

  get(idOrPrefix: string): Sandbox {
    return this.ctx.store.get(idOrPrefix);
  }

  find(idOrPrefix: string): Sandbox | undefined {
    return this.ctx.store.find(idOrPrefix);
  }

  list(): Sandbox[] {
    return this.ctx.store.list();
  }

  /** The spec and CNI result of a pod: kept from RunPodSandbox, read back once after a restart. */
  async details(sandbox: Sandbox): Promise<SandboxDetails> {
    sandbox.spec ??= await readStoredSpec(this.ctx.containerd, sandbox.id).catch(() => undefined);
    sandbox.networkAttachments ??= (await this.ctx.networks.cachedStatus(sandbox.id).catch(() => undefined))?.attachments;
    return { spec: sandbox.spec, networkAttachments: sandbox.networkAttachments };
  }

  /**
   * UpdatePodSandboxResources: kubelet has already resized the pod cgroup
   * itself and tells the runtime the new totals; cri-ts keeps nothing of its
   * own to change, so the pod only has to exist. NRI plugins hear of it (and
   * may refuse it).
   */
  async updateResources(idOrPrefix: string, overhead: LinuxContainerResources__Output | null, resources: LinuxContainerResources__Output | null): Promise<void> {
    const sandbox = this.get(idOrPrefix);
    await this.ctx.store.lock.run(sandbox.id, async () => {
      await this.ctx.nri.updatePodSandbox(sandbox, overhead, resources);
      await this.ctx.nri.postUpdatePodSandbox(sandbox);
    });
  }

  /** PortForward's checks before a URL is handed out: real ports, a ready pod. Returns the pod's full ID. */
  checkPortForward(idOrPrefix: string, ports: readonly number[]): string {
    for (const port of ports) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`port ${port} is not a TCP port (1-65535)`);
    }
    const sandbox = this.get(idOrPrefix);
    if (sandbox.state !== 'ready') throw new FailedPreconditionError(`pod sandbox ${sandbox.id} is not ready; nothing can be forwarded into it`);
    return sandbox.id;
  }

  /** The streaming server's port-forward into pods. */
  portForwarder(): PortForwarder {
    return podPortForwarder(this.ctx);
  }

  /**
   * Starts reading what recovery rebuilds the index from, so that the read
   * overlaps the containers' recovery (which changes no pod record or pause
   * task). `tasks` is a snapshot of every task the containers' recovery shares.
   */
  readRecoverySnapshot(tasks?: Promise<ReadonlyMap<string, TaskState>>): Promise<PodRecoverySnapshot> {
    return readPodRecoverySnapshot(this.ctx, tasks);
  }

  /**
   * Rebuilds the pod index from containerd (at start, before any pod call is
   * answered); it needs neither the container index nor the host's files, so
   * it runs while the containers are recovered.
   */
  indexRecovered(snapshot: Promise<PodRecoverySnapshot> = this.readRecoverySnapshot()): Promise<RecoveredSandboxes> {
    return recoverSandboxes(this.ctx, snapshot);
  }

  /**
   * The rest of recovery, once containers are indexed too: a pod whose
   * creation was cut short is removed under its lock (its containers through
   * their index), and host traces of pods without a record are cleaned up.
   */
  async finishRecovery(recovered: RecoveredSandboxes): Promise<{ ready: number; notReady: number; cleanedUp: number; orphansRemoved: number }> {
    const { ready, notReady, halfCreated } = recovered;
    for (const sandbox of halfCreated) {
      this.ctx.log.warn({ podId: sandbox.id }, 'pod sandbox was half-created when cri-ts stopped; removing it');
      await this.ctx.store.lock
        .run(sandbox.id, () => removeSandbox(this.ctx, sandbox))
        .catch((err: unknown) => this.ctx.log.error({ podId: sandbox.id, err }, 'could not clean up a half-created pod sandbox'));
    }
    const orphansRemoved = await removeOrphanedPods(this.ctx, recovered.recorded);
    return { ready, notReady, cleanedUp: halfCreated.length, orphansRemoved };
  }

  /**
   * After the task event subscription (re)starts: pause processes that exited
   * meanwhile make their pods NOTREADY. `tasks` is one listTasks snapshot.
   */
  async reconcile(tasks: ReadonlyMap<string, TaskState>): Promise<void> {
    await reconcileSandboxStates(this.ctx, tasks);
    for (const sandbox of await leftoverSandboxRecords(this.ctx)) {
      this.ctx.log.warn({ podId: sandbox.id }, 'pod record left by a creation that failed while containerd was away; removing it');
      await this.ctx.store.lock
        .run(sandbox.id, async () => {
          // Removed meanwhile by the call that was removing it when the records were listed.
          if (await recordExists(this.ctx.containerd, sandbox.id)) await removeSandbox(this.ctx, sandbox);
        })
        .catch((err: unknown) => this.ctx.log.error({ podId: sandbox.id, err }, 'could not remove a leftover pod record'));
    }
  }

  /** A task exit event; true when it was a pod's pause process (the pod is NOTREADY at once). */
  onTaskExit(containerId: string, processId: string): boolean {
    return onSandboxTaskExit(this.ctx, containerId, processId);
  }
}
