import type { ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { NriConfig } from '../config/config.js';
import { CriError, errorMessage } from '../errors.js';
import type { LinuxContainerResources__Output } from '../generated/cri/runtime/v1/LinuxContainerResources.js';
import type { Logger } from '../log.js';
import type { OciSpec } from '../oci/oci-types.js';
import { Semaphore } from '../store/semaphore.js';
import { FieldConflictError, FieldOwnership } from './field-owners.js';
import type { ContainerNri, NriContainerView, PodNri } from './nri-api.js';
import type { SubscribableEvent } from './nri-events.js';
import { nriContainer, nriPod, type NriContainerSource, type NriPodSource } from './nri-objects.js';
import { NriPlugin, PluginError, PluginGoneError } from './nri-plugin.js';
import type {
  ContainerAdjustment__Output,
  ContainerEviction__Output,
  ContainerUpdate,
  CreateContainerResponse__Output,
  LinuxResources__Output,
  PodSandbox,
  StopContainerResponse__Output,
  UpdateContainerResponse__Output,
  UpdateContainersRequest__Output,
  UpdateContainersResponse,
  ValidateContainerAdjustmentResponse__Output,
} from './nri-types.js';
import { decodeMessage, encodeMessage } from './nri-wire.js';
import { criResourcesFromNri, nriResourcesFromCri } from './oci-to-nri.js';
import { discoverPlugins, launchPlugin } from './plugin-launcher.js';
import { claimAdjustment, overlayResources, UpdateCollector } from './plugin-results.js';
import { applyContainerAdjustment } from './spec-adjustment.js';
import { synchronizePlugin } from './synchronize.js';
import { SyncGate } from './sync-gate.js';

/** What NRI reads of, and does to, the runtime's pods and containers, handed over when NRI starts. */
export interface NriDomain {
  /** Every pod in the index. */
  pods(): NriPodSource[];
  /** Every container that has not exited, with its spec. */
  containers(): Promise<Array<{ container: NriContainerSource; spec: OciSpec }>>;
  /** A container's spec read back from containerd (after a restart it is not in memory). */
  containerSpec(id: string): Promise<OciSpec | undefined>;
  /** Applies resources a plugin asked for; a container that is gone is no failure. */
  updateContainer(id: string, resources: LinuxContainerResources__Output): Promise<void>;
  /** Stops a container a plugin asked to evict. */
  evictContainer(id: string, reason: string): Promise<void>;
}

export interface NriRuntimeOptions {
  config: NriConfig;
  log: Logger;
  runtimeVersion: string;
  /** restrict_oom_score_adj as resolved, applied to plugins' oom_score_adj as to kubelet's. */
  restrictOomScoreAdj: boolean;
}

const RUNTIME_NAME = 'cri-ts';

/**
 * NRI in cri-ts: accepts plugins on the socket (and starts those under
 * plugin_path), synchronizes each with the pods and containers there are,
 * and relays every pod and container step to the plugins subscribed to it,
 * one step at a time, in plugin index order. A plugin that crashes, hangs
 * past its timeout or answers garbage is dropped and the step goes on; one
 * that answers an error fails the steps containerd fails for it (run pod,
 * create, start and update container) and is only logged for the others.
 */
export class NriRuntime implements PodNri, ContainerNri {
  readonly enabled = true;
  private plugins: NriPlugin[] = [];
  private readonly steps = new Semaphore(1);
  private readonly gate = new SyncGate();
  private server: Server | undefined;
  private domain: NriDomain | undefined;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly options: NriRuntimeOptions) {
    this.log = options.log.child({ component: 'nri' });
  }

  /** Starts the plugins under plugin_path, then listens for external ones. */
  async start(domain: NriDomain): Promise<void> {
    this.domain = domain;
    const { config } = this.options;
    for (const found of await discoverPlugins(config.pluginPath, this.log)) {
      if (this.stopped) return;
      try {
        const launched = await launchPlugin(found, config.pluginConfigPath, this.log);
        await this.admit(launched.socket, { ...found, config: launched.config, process: launched.process });
      } catch (err) {
        this.log.warn({ plugin: `${found.idx}-${found.base}`, err: errorMessage(err) }, 'NRI plugin did not start');
      }
    }
    if (this.stopped) return;
    if (!config.disableConnections) await this.listen(config.socketPath);
    this.log.info({ socket: config.disableConnections ? undefined : config.socketPath, plugins: this.plugins.map((p) => p.name) }, 'NRI started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
    for (const plugin of this.plugins) plugin.drop('cri-ts is shutting down');
    this.plugins = [];
  }

  blockSync(): Promise<() => void> {
    return this.gate.share();
  }

  // --- pods

  async runPodSandbox(pod: NriPodSource): Promise<void> {
    const request = { pod: nriPod(pod) };
    try {
      await this.ask('RunPodSandbox', 'RUN_POD_SANDBOX', request, 'RunPodSandboxResponse');
    } catch (err) {
      // Plugins that saw it run hear it is gone again, as from containerd.
      await this.stopPodSandbox(pod);
      await this.removePodSandbox(pod);
      throw asCriError(err);
    }
  }

  async stopPodSandbox(pod: NriPodSource): Promise<void> {
    await this.notify('StopPodSandbox', 'STOP_POD_SANDBOX', { pod: nriPod(pod) }, 'StopPodSandboxResponse', { podId: pod.id });
  }

  async removePodSandbox(pod: NriPodSource): Promise<void> {
    await this.notify('RemovePodSandbox', 'REMOVE_POD_SANDBOX', { pod: nriPod(pod) }, 'RemovePodSandboxResponse', { podId: pod.id });
  }

  async updatePodSandbox(pod: NriPodSource, overhead: LinuxContainerResources__Output | null, resources: LinuxContainerResources__Output | null): Promise<void> {
    if (this.subscribed('UPDATE_POD_SANDBOX').length === 0) return;
    const request = { pod: nriPod(pod), overheadLinuxResources: nriResourcesFromCri(overhead), linuxResources: nriResourcesFromCri(resources) };
    await this.ask('UpdatePodSandbox', 'UPDATE_POD_SANDBOX', request, 'UpdatePodSandboxResponse');
  }

  async postUpdatePodSandbox(pod: NriPodSource): Promise<void> {
    await this.notify('PostUpdatePodSandbox', 'POST_UPDATE_POD_SANDBOX', { pod: nriPod(pod) }, 'PostUpdatePodSandboxResponse', { podId: pod.id });
  }

  // --- containers

  async createContainer(pod: NriPodSource, container: NriContainerSource, spec: OciSpec): Promise<void> {
    if (this.subscribed('CREATE_CONTAINER').length === 0 && this.subscribed('VALIDATE_CONTAINER_ADJUSTMENT').length === 0) return;
    const owners = new FieldOwnership();
    const updates = new UpdateCollector(owners, container.id);
    const evictions: ContainerEviction__Output[] = [];
    try {
      await this.steps.run(async () => {
        const podMessage = nriPod(pod);
        const pristine = nriContainer(container, spec, 'CONTAINER_UNKNOWN');
        const adjustments: Array<{ plugin: NriPlugin; adjust: ContainerAdjustment__Output }> = [];
        for (const plugin of this.subscribed('CREATE_CONTAINER')) {
          // Each plugin sees the container as the plugins before it left it.
          const request = { pod: podMessage, container: nriContainer(container, spec, 'CONTAINER_UNKNOWN') };
          const answer = await this.callOne<CreateContainerResponse__Output>(plugin, 'CreateContainer', request, 'CreateContainerResponse');
          if (!answer) continue;
          if (answer.adjust) {
            claimAdjustment(owners, container.id, answer.adjust, plugin.name);
            applyContainerAdjustment(spec, answer.adjust, { restrictOomScoreAdj: this.options.restrictOomScoreAdj });
            adjustments.push({ plugin, adjust: answer.adjust });
          }
          updates.add(answer.update, plugin.name);
          evictions.push(...answer.evict);
        }
        await this.validate(podMessage, pristine, container.id, adjustments, updates, owners);
      });
    } catch (err) {
      const view = { id: container.id, pid: container.pid, metadata: container.metadata, spec };
      await this.stopContainer(pod, view);
      await this.removeContainer(pod, view);
      throw asCriError(err);
    }
    await this.applyUpdates(updates.updates(), 'CreateContainer');
    await this.evict(evictions);
  }

  async postCreateContainer(pod: NriPodSource, container: NriContainerView): Promise<void> {
    if (this.subscribed('POST_CREATE_CONTAINER').length === 0) return;
    await this.notify('PostCreateContainer', 'POST_CREATE_CONTAINER', await this.containerRequest(pod, container), 'PostCreateContainerResponse', ids(container));
  }

  async startContainer(pod: NriPodSource, container: NriContainerView): Promise<void> {
    if (this.subscribed('START_CONTAINER').length === 0) return;
    await this.ask('StartContainer', 'START_CONTAINER', await this.containerRequest(pod, container), 'StartContainerResponse');
  }

  async postStartContainer(pod: NriPodSource, container: NriContainerView): Promise<void> {
    if (this.subscribed('POST_START_CONTAINER').length === 0) return;
    await this.notify('PostStartContainer', 'POST_START_CONTAINER', await this.containerRequest(pod, container), 'PostStartContainerResponse', ids(container));
  }

  async updateContainer(pod: NriPodSource | undefined, container: NriContainerView, resources: LinuxContainerResources__Output): Promise<LinuxContainerResources__Output> {
    if (this.subscribed('UPDATE_CONTAINER').length === 0) return resources;
    const requested = asOutput(nriResourcesFromCri(resources));
    const updates = new UpdateCollector(new FieldOwnership());
    const evictions: ContainerEviction__Output[] = [];
    const request = { ...(await this.containerRequest(pod, container)), linuxResources: requested };
    const answers = await this.ask<UpdateContainerResponse__Output>('UpdateContainer', 'UPDATE_CONTAINER', request, 'UpdateContainerResponse');
    try {
      for (const { plugin, answer } of answers) {
        updates.add(answer.update, plugin.name);
        evictions.push(...answer.evict);
      }
    } catch (err) {
      throw asCriError(err);
    }
    this.inBackground(updates.updates(container.id), evictions, 'UpdateContainer');
    const own = updates.resourcesFor(container.id);
    return own ? { ...criResourcesFromNri(overlayResources(requested, own)), oomScoreAdj: resources.oomScoreAdj } : resources;
  }

  async postUpdateContainer(pod: NriPodSource | undefined, container: NriContainerView): Promise<void> {
    if (this.subscribed('POST_UPDATE_CONTAINER').length === 0) return;
    await this.notify('PostUpdateContainer', 'POST_UPDATE_CONTAINER', await this.containerRequest(pod, container), 'PostUpdateContainerResponse', ids(container));
  }

  async stopContainer(pod: NriPodSource | undefined, container: NriContainerView): Promise<void> {
    if (this.subscribed('STOP_CONTAINER').length === 0) return;
    const updates = new UpdateCollector(new FieldOwnership());
    const answers = await this.notify<StopContainerResponse__Output>('StopContainer', 'STOP_CONTAINER', await this.containerRequest(pod, container), 'StopContainerResponse', ids(container));
    try {
      for (const { plugin, answer } of answers) updates.add(answer.update, plugin.name);
    } catch (err) {
      this.log.warn({ ...ids(container), err: errorMessage(err) }, 'NRI plugins asked for conflicting updates after a container stopped; none applied');
      return;
    }
    this.inBackground(updates.updates(), [], 'StopContainer');
  }

  async removeContainer(pod: NriPodSource | undefined, container: NriContainerView): Promise<void> {
    if (this.subscribed('REMOVE_CONTAINER').length === 0) return;
    await this.notify('RemoveContainer', 'REMOVE_CONTAINER', await this.containerRequest(pod, container), 'RemoveContainerResponse', ids(container));
  }

  // --- plugins

  private async listen(socketPath: string): Promise<void> {
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
    await rm(socketPath, { force: true });
    const server = createServer((socket: Socket) => {
      this.admit(socket).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'NRI plugin connection refused'));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'NRI socket failed'));
    if (this.stopped) server.close();
    else this.server = server;
  }

  /** Registers, configures and synchronizes a plugin, then lets it see every step from here on. */
  private async admit(socket: Duplex, launched?: { idx: string; base: string; config: string; process: ChildProcess }): Promise<void> {
    const { config, runtimeVersion } = this.options;
    const plugin = await NriPlugin.start(socket, {
      runtimeName: RUNTIME_NAME,
      runtimeVersion,
      registrationTimeoutMs: config.pluginRegistrationTimeoutMs,
      requestTimeoutMs: config.pluginRequestTimeoutMs,
      log: this.log,
      ...(launched ? { launched } : {}),
      onUpdateContainers: (from, request) => this.updateFromPlugin(from, request),
    });
    const domain = this.domain!;
    const release = await this.gate.own();
    let updates: ContainerUpdate[] = [];
    try {
      await this.steps.run(async () => {
        updates = await synchronizePlugin(plugin, domain.pods().map(nriPod), (await domain.containers()).map(({ container, spec }) => nriContainer(container, spec)));
        if (this.stopped) throw new Error('cri-ts is shutting down');
        this.plugins = [...this.plugins, plugin].sort((a, b) => a.idx.localeCompare(b.idx));
      });
    } catch (err) {
      plugin.drop(`synchronizing it failed: ${errorMessage(err)}`);
      throw err;
    } finally {
      release();
    }
    void plugin.closed.then(() => {
      this.plugins = this.plugins.filter((p) => p !== plugin);
    });
    this.log.info({ plugin: plugin.name, order: this.plugins.map((p) => p.name) }, 'NRI plugin synchronized');
    await this.applyUpdates(updates, 'Synchronize');
  }

  private subscribed(event: SubscribableEvent): NriPlugin[] {
    return this.plugins.filter((p) => !p.isDropped && p.subscribes(event));
  }

  /** One plugin's answer; undefined when the plugin was dropped (the step goes on without it). */
  private async callOne<T>(plugin: NriPlugin, method: string, request: object, responseType: string): Promise<T | undefined> {
    try {
      return await plugin.call<T>(method, `${method}Request`, request, responseType);
    } catch (err) {
      if (err instanceof PluginGoneError) return undefined;
      throw err;
    }
  }

  /** A step plugins may refuse: the first error status fails it. */
  private ask<T>(method: string, event: SubscribableEvent, request: object, responseType: string): Promise<Array<{ plugin: NriPlugin; answer: T }>> {
    return this.steps.run(async () => {
      const answers: Array<{ plugin: NriPlugin; answer: T }> = [];
      for (const plugin of this.subscribed(event)) {
        const answer = await this.callOne<T>(plugin, method, request, responseType).catch((err: unknown) => {
          throw asCriError(err);
        });
        if (answer) answers.push({ plugin, answer });
      }
      return answers;
    });
  }

  /** A notification: every subscribed plugin hears it; one's error is logged and the others still hear it. */
  private notify<T>(method: string, event: SubscribableEvent, request: object, responseType: string, logFields: object): Promise<Array<{ plugin: NriPlugin; answer: T }>> {
    if (this.subscribed(event).length === 0) return Promise.resolve([]);
    return this.steps.run(async () => {
      const answers: Array<{ plugin: NriPlugin; answer: T }> = [];
      for (const plugin of this.subscribed(event)) {
        try {
          const answer = await this.callOne<T>(plugin, method, request, responseType);
          if (answer) answers.push({ plugin, answer });
        } catch (err) {
          this.log.warn({ ...logFields, plugin: plugin.name, err: errorMessage(err) }, `NRI plugin failed ${method}`);
        }
      }
      return answers;
    });
  }

  private async containerRequest(pod: NriPodSource | undefined, container: NriContainerView): Promise<{ pod: PodSandbox; container: object }> {
    const spec = container.spec ?? (await this.domain?.containerSpec(container.id)) ?? { ociVersion: '' };
    return { pod: pod ? nriPod(pod) : { id: container.metadata.sandboxId }, container: nriContainer(container, spec) };
  }

  /** Asks the plugins that validate adjustments; one rejecting (or failing) fails the creation. */
  private async validate(
    pod: PodSandbox,
    pristine: object,
    containerId: string,
    adjustments: ReadonlyArray<{ plugin: NriPlugin; adjust: ContainerAdjustment__Output }>,
    updates: UpdateCollector,
    owners: FieldOwnership,
  ): Promise<void> {
    const validators = this.subscribed('VALIDATE_CONTAINER_ADJUSTMENT');
    if (validators.length === 0) return;
    const request = {
      pod,
      container: pristine,
      adjust: mergedAdjustment(adjustments.map((a) => a.adjust)),
      update: updates.updates(),
      owners: owners.toWire(),
      plugins: this.subscribed('CREATE_CONTAINER').map((p) => ({ name: p.base, index: p.idx })),
    };
    const verdicts = await Promise.all(
      validators.map(async (plugin) => ({ plugin, verdict: await this.callOne<ValidateContainerAdjustmentResponse__Output>(plugin, 'ValidateContainerAdjustment', request, 'ValidateContainerAdjustmentResponse') })),
    );
    for (const { plugin, verdict } of verdicts) {
      if (!verdict) throw new PluginError(`validator plugin ${plugin.name} was dropped while validating container ${containerId}`);
      if (verdict.reject) throw new PluginError(`validator plugin ${plugin.name} rejected the adjustments of container ${containerId}: ${verdict.reason}`);
    }
  }

  /**
   * Updates and evictions asked for in answer to a step on a container whose
   * lock the caller holds: they take other containers' locks, whose holders
   * may be waiting the same way for this one (two containers stopping at
   * once), so they are not waited for.
   */
  private inBackground(updates: readonly ContainerUpdate[], evictions: readonly ContainerEviction__Output[], after: string): void {
    if (updates.length === 0 && evictions.length === 0) return;
    setImmediate(() => void this.applyUpdates(updates, after).then(() => this.evict(evictions)));
  }

  /** Applies updates plugins asked for; returns those that failed (logged). */
  private async applyUpdates(updates: readonly ContainerUpdate[], after: string): Promise<ContainerUpdate[]> {
    const failed: ContainerUpdate[] = [];
    for (const update of updates) {
      const resources = update.linux?.resources;
      if (!update.containerId || !resources) continue;
      try {
        await this.domain!.updateContainer(update.containerId, criResourcesFromNri(asOutput(resources)));
      } catch (err) {
        if (!update.ignoreFailure) failed.push(update);
        this.log.warn({ containerId: update.containerId, after, err: errorMessage(err) }, 'NRI plugin update of a container failed');
      }
    }
    return failed;
  }

  /** Stops the containers plugins asked to evict, one by one; a failure is logged. */
  private async evict(evictions: readonly ContainerEviction__Output[]): Promise<void> {
    for (const e of evictions) {
      this.log.info({ containerId: e.containerId, reason: e.reason }, 'NRI plugin evicts a container');
      await this.domain!.evictContainer(e.containerId, e.reason).catch((err: unknown) => this.log.warn({ containerId: e.containerId, err: errorMessage(err) }, 'evicting a container failed'));
    }
  }

  /**
   * A plugin's own UpdateContainers: the updates are applied before the
   * answer (which lists the failed ones); evictions run afterwards, since
   * stopping a container is a step the asking plugin may be told about.
   */
  private async updateFromPlugin(plugin: NriPlugin, request: UpdateContainersRequest__Output): Promise<UpdateContainersResponse> {
    this.log.info({ plugin: plugin.name, updates: request.update.length, evictions: request.evict.length }, 'NRI plugin asked for container updates');
    const failed = await this.applyUpdates(request.update, 'UpdateContainers');
    if (request.evict.length > 0) setImmediate(() => void this.evict(request.evict));
    return { failed };
  }
}

function ids(container: NriContainerView): { containerId: string; podId: string } {
  return { containerId: container.id, podId: container.metadata.sandboxId };
}

/** The decoded shape of resources built in memory (every field present, as answers have them). */
function asOutput(resources: object | null): LinuxResources__Output {
  return decodeMessage<LinuxResources__Output>('LinuxResources', encodeMessage('LinuxResources', resources ?? {}));
}

/** Several plugins' adjustments as one, for validators: maps merged, lists concatenated, later values winning. */
function mergedAdjustment(list: readonly ContainerAdjustment__Output[]): object {
  const merged = decodeMessage<ContainerAdjustment__Output>('ContainerAdjustment', Buffer.alloc(0));
  const mergeInto = (target: Record<string, unknown>, source: Record<string, unknown>): void => {
    for (const [k, v] of Object.entries(source)) {
      if (Array.isArray(v)) target[k] = [...((target[k] as unknown[] | undefined) ?? []), ...v];
      else if (v && typeof v === 'object' && !('value' in v)) {
        const into = (target[k] && typeof target[k] === 'object' ? target[k] : {}) as Record<string, unknown>;
        mergeInto(into, v as Record<string, unknown>);
        target[k] = into;
      } else if (v !== null && v !== '' && v !== false) target[k] = v;
    }
  };
  for (const adjust of list) mergeInto(merged as unknown as Record<string, unknown>, adjust as unknown as Record<string, unknown>);
  return merged;
}

/** Plugin failures as the CRI edge reports them. */
function asCriError(err: unknown): unknown {
  if (err instanceof CriError) return err;
  // The message says it all; a cause would repeat it in the log.
  if (err instanceof PluginError || err instanceof FieldConflictError) return new CriError('Internal', err.message);
  return err;
}
