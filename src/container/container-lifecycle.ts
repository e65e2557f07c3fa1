import type { ContainerConfig__Output } from '../generated/cri/runtime/v1/ContainerConfig.js';
import type { LinuxContainerResources__Output } from '../generated/cri/runtime/v1/LinuxContainerResources.js';
import { killAndDeleteTask, type TaskState } from '../containerd/tasks.js';
import { FailedPreconditionError } from '../errors.js';
import type { OciSpec } from '../oci/oci-types.js';
import type { PodContainers } from '../sandbox/sandbox.js';
import type { RemoteCommandRunner, StreamingRequest } from '../streaming/types.js';
import type { Container } from './container.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerEvents } from './container-events.js';
import { recordContainerExit } from './container-exit.js';
import { createContainer } from './create-container.js';
import { requireRunning, requireStreams, type StdioRequest } from './exec/exec-request.js';
import { execSync, type ExecSyncResult } from './exec/exec-sync.js';
import { containerSpec } from './exec/process-spec.js';
import { containerRemoteCommandRunner } from './exec/remote-command-runner.js';
import { exitedContainersWithTasks, leftoverContainerRecords, missedContainerExits, recoverContainers } from './recover-containers.js';
import { recordExists } from '../records/container-records.js';
import { deleteContainerTraces, removeContainer } from './remove-container.js';
import { startContainer } from './start-container.js';
import { stopContainer } from './stop-container.js';
import { applyContainerResources, updateContainerResources } from './update-resources.js';

/**
 * The container lifecycle: every container operation the CRI edge calls,
 * each taking the container's lock itself (the operation modules it calls
 * work on a locked container). It is also what stopping or removing a pod
 * does to the pod's containers.
 */
export class ContainerLifecycle implements PodContainers {
  constructor(private readonly ctx: ContainerContext) {}

  /** Container lifecycle changes as they happen (GetContainerEvents). */
  get events(): ContainerEvents {
    return this.ctx.events;
  }

  /**
   * CreateContainer: the new container's ID. Not under the pod's lock:
   * kubelet creates a pod's containers in parallel, and creation checks the
   * pod is ready itself (as containerd's CRI does).
   */
  create(podIdOrPrefix: string, config: ContainerConfig__Output): Promise<string> {
    return createContainer(this.ctx, podIdOrPrefix, config);
  }

  async start(idOrPrefix: string): Promise<void> {
    const container = this.get(idOrPrefix);
    await this.locked(container, () => startContainer(this.ctx, container));
  }

  /** StopContainer. Idempotent: a stopped or unknown container is already stopped. */
  async stop(idOrPrefix: string, timeoutSeconds: number): Promise<void> {
    const container = this.find(idOrPrefix);
    if (container) await this.locked(container, () => stopContainer(this.ctx, container, timeoutSeconds));
  }

  /** RemoveContainer. Idempotent: a container that is not there is already removed. */
  async remove(idOrPrefix: string): Promise<void> {
    const container = this.find(idOrPrefix);
    if (container) await this.removeIfHeld(container);
  }

  async updateResources(idOrPrefix: string, resources: LinuxContainerResources__Output): Promise<void> {
    const container = this.get(idOrPrefix);
    await this.locked(container, () => updateContainerResources(this.ctx, container, resources));
  }

  /** Resources an NRI plugin asked for, applied without telling the plugins again; a container that is gone is skipped. */
  async applyNriUpdate(id: string, resources: LinuxContainerResources__Output): Promise<void> {
    const container = this.ctx.store.find(id);
    if (!container || container.id !== id) return;
    await this.locked(container, () => applyContainerResources(this.ctx, container, resources, { reported: false }));
  }

  /** An NRI plugin's eviction: the container is stopped at once. */
  async evict(id: string, reason: string): Promise<void> {
    const container = this.ctx.store.find(id);
    if (!container || container.id !== id) return;
    this.ctx.log.info({ containerId: id, podId: container.metadata.sandboxId, reason }, 'evicting container for an NRI plugin');
    await this.locked(container, () => stopContainer(this.ctx, container, 0));
  }

  /** ReopenContainerLog: after kubelet rotated a running container's log, write on into a fresh file at the same path. */
  async reopenLog(idOrPrefix: string): Promise<void> {
    const container = this.get(idOrPrefix);
    if (container.metadata.state !== 'running' || !container.io) {
      throw new FailedPreconditionError(`container ${container.id} is not running; only a running container's log can be reopened`);
    }
    await container.io.reopenLog();
  }

  get(idOrPrefix: string): Container {
    return this.ctx.store.get(idOrPrefix);
  }

  find(idOrPrefix: string): Container | undefined {
    return this.ctx.store.find(idOrPrefix);
  }

  list(): Container[] {
    return this.ctx.store.list();
  }

  ofPod(podId: string): Container[] {
    return this.ctx.store.ofSandbox(podId);
  }

  /** The container's OCI spec (verbose ContainerStatus): kept from creation, read back once after a restart. */
  spec(container: Container): Promise<OciSpec> {
    return containerSpec(this.ctx, container);
  }

  /** ExecSync. Not serialized with other calls on the container: kubelet probes exec while it runs. */
  execSync(idOrPrefix: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    return execSync(this.ctx, this.get(idOrPrefix), cmd, timeoutSeconds);
  }

  /** Exec's checks before a streaming URL is handed out; the request the streaming server will run. */
  execRequest(idOrPrefix: string, cmd: string[], stdio: StdioRequest): Extract<StreamingRequest, { kind: 'exec' }> {
    requireStreams(stdio, 'exec');
    const container = this.get(idOrPrefix);
    requireRunning(container, 'exec');
    return { kind: 'exec', containerId: container.id, cmd, ...stdio };
  }

  /** Attach's checks before a streaming URL is handed out. */
  attachRequest(idOrPrefix: string, stdio: StdioRequest): Extract<StreamingRequest, { kind: 'attach' }> {
    requireStreams(stdio, 'attach');
    const container = this.get(idOrPrefix);
    requireRunning(container, 'attach');
    return { kind: 'attach', containerId: container.id, ...stdio };
  }

  /** The streaming server's exec and attach. */
  remoteCommandRunner(): RemoteCommandRunner {
    return containerRemoteCommandRunner(this.ctx);
  }

  async stopContainersOf(podId: string): Promise<void> {
    await Promise.all(this.ofPod(podId).map((c) => this.locked(c, () => stopContainer(this.ctx, c, 0))));
  }

  async removeContainersOf(podId: string): Promise<void> {
    await Promise.all(this.ofPod(podId).map((c) => this.removeIfHeld(c)));
  }

  /** Rebuilds the container index from containerd (at start, while the pods are indexed from the same task snapshot). */
  recover(tasks?: Promise<ReadonlyMap<string, TaskState>>): ReturnType<typeof recoverContainers> {
    return recoverContainers(this.ctx, tasks);
  }

  /**
   * After the task event subscription (re)starts: exits it missed are
   * recorded. `tasks` is one listTasks snapshot (the pods' too); only a
   * container it shows gone is asked again.
   */
  async reconcile(tasks: ReadonlyMap<string, TaskState>): Promise<void> {
    for (const { container, exit } of await missedContainerExits(this.ctx, tasks)) {
      await this.locked(container, () => recordContainerExit(this.ctx, container, exit));
    }
    for (const container of exitedContainersWithTasks(this.ctx, tasks)) {
      await this.locked(container, async () => {
        if (container.metadata.state !== 'exited') return;
        this.ctx.log.warn({ containerId: container.id, podId: container.metadata.sandboxId }, 'container reads EXITED but its task is still there (containerd was away when it should have gone); killing it');
        await killAndDeleteTask(this.ctx.containerd, container.id);
        container.taskGone = true;
      }).catch((err: unknown) => this.ctx.log.error({ containerId: container.id, podId: container.metadata.sandboxId, err }, 'could not remove the task of an exited container'));
    }
    for (const metadata of await leftoverContainerRecords(this.ctx)) {
      this.ctx.log.warn({ containerId: metadata.id, podId: metadata.sandboxId }, 'container record left by a creation that failed while containerd was away; removing it');
      await this.ctx.store.lock
        .run(metadata.id, async () => {
          if (await recordExists(this.ctx.containerd, metadata.id)) await deleteContainerTraces(this.ctx, metadata);
        })
        .catch((err: unknown) => this.ctx.log.error({ containerId: metadata.id, err }, 'could not remove a leftover container record'));
    }
  }

  /** A task exit event for a container's own process (not an exec): its exit is recorded under its lock. */
  onTaskExit(event: { containerId: string; processId: string; exitStatus: number; exitedAtNs: bigint }): void {
    if (event.containerId !== event.processId) return;
    const container = this.ctx.store.find(event.containerId);
    if (!container || container.id !== event.containerId) return;
    void this.locked(container, () => recordContainerExit(this.ctx, container, event)).catch((err: unknown) =>
      this.ctx.log.error({ containerId: container.id, podId: container.metadata.sandboxId, err }, 'handling the container exit failed'),
    );
  }

  /** containerd saw the container's cgroup hit its memory limit: its exit will read OOMKilled. */
  onOom(containerId: string): void {
    const container = this.ctx.store.find(containerId);
    if (container && container.id === containerId) container.oomKilled = true;
  }

  /** Writes the state changes still due (at shutdown). */
  flush(): Promise<void> {
    return this.ctx.store.flush();
  }

  private locked<T>(container: Container, work: () => Promise<T>): Promise<T> {
    return this.ctx.store.lock.run(container.id, work);
  }

  private removeIfHeld(container: Container): Promise<void> {
    return this.locked(container, async () => {
      if (this.ctx.store.holds(container)) await removeContainer(this.ctx, container);
    });
  }
}
