// The pod network API the sandbox code calls: attach a pod's netns to every
// loaded CNI network (setUp), detach it using what was cached at setUp
// (tearDown), CHECK it, and report the cached status after a restart.
import { access } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { CniConfig } from '../config/config.js';
import { CriError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { parseCniResult, podIps, type CniResult } from './cni-result.js';
import { KeyedLock } from '../store/keyed-lock.js';
import { CniConfigError, loadNetworkConfigs, type CniNetworkConfig } from './network-config.js';
import { addNetworkList, checkNetworkList, delNetworkList, type AddResult, type AttachmentRuntime } from './network-list.js';
import { cniArgsString, DEFAULT_PLUGIN_TIMEOUT_MS, podCniArgs, type PluginRunOptions } from './plugin-exec.js';
import type { BandwidthLimits, DnsCapability, PortMapping, RuntimeCapabilityArgs } from './plugin-input.js';
import { ResultCache, type CachedAttachment } from './result-cache.js';

export type { CniResult } from './cni-result.js';
export type { BandwidthLimits, DnsCapability, PortMapping } from './plugin-input.js';

export interface PodNetworkRequest {
  podId: string;
  netnsPath: string;
  podName: string;
  podNamespace: string;
  podUid: string;
  /** Interface name of the first network inside the netns; default 'eth0'. */
  ifName?: string;
  /** Mappings with hostPort <= 0 (container ports kubelet lists without a host port) are dropped. */
  portMappings?: PortMapping[];
  bandwidth?: BandwidthLimits;
  dns?: DnsCapability;
  cgroupPath?: string;
}

export interface PodNetworkAttachment {
  network: string;
  ifName: string;
  result: CniResult;
}

export interface PodNetworkStatus {
  /** The primary attachment's IPs inside the netns, IPv4 first. */
  ips: string[];
  attachments: PodNetworkAttachment[];
}

export interface PodNetworksOptions {
  config: CniConfig;
  /** Directory of the result cache, e.g. <root>/cni-cache; must survive restarts. */
  cacheDir: string;
  log: Logger;
  /** Per plugin call; default 60 s. */
  pluginTimeoutMs?: number;
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

function validateRequest(request: PodNetworkRequest): void {
  if (request.podId === '') throw new CriError('InvalidArgument', 'pod network setup needs a pod (sandbox) id');
  if (!isAbsolute(request.netnsPath)) {
    throw new CriError('InvalidArgument', `pod ${request.podId}: network namespace path must be absolute, got ${JSON.stringify(request.netnsPath)}`);
  }
  cniArgsString(podCniArgs(request)); // throws InvalidArgument for names CNI_ARGS cannot carry
  const ifName = request.ifName ?? 'eth0';
  if (!/^[^\s/:]{1,15}$/.test(ifName) || ifName === '.' || ifName === '..') {
    throw new CriError('InvalidArgument', `pod ${request.podId}: interface name ${JSON.stringify(ifName)} must be 1 to 15 characters without "/", ":" or spaces`);
  }
  for (const mapping of request.portMappings ?? []) {
    if (mapping.hostPort <= 0) continue;
    if (!validPort(mapping.hostPort) || !validPort(mapping.containerPort) || !PROTOCOLS.has(mapping.protocol)) {
      throw new CriError(
        'InvalidArgument',
        `pod ${request.podId}: port mapping ${JSON.stringify(mapping)} needs hostPort and containerPort from 1 to 65535 and protocol tcp, udp or sctp`,
      );
    }
  }
}

/** The capability args of a request; only what was given, so plugins see no empty keys. */
export function capabilityArgsOf(request: PodNetworkRequest): RuntimeCapabilityArgs {
  const args: RuntimeCapabilityArgs = {};
  if (request.portMappings !== undefined) {
    args.portMappings = request.portMappings
      .filter((m) => m.hostPort > 0)
      .map((m) => ({
        hostPort: m.hostPort,
        containerPort: m.containerPort,
        protocol: m.protocol,
        ...(m.hostIP !== undefined && m.hostIP !== '' ? { hostIP: m.hostIP } : {}),
      }));
  }
  if (request.bandwidth !== undefined && Object.values(request.bandwidth).some((v) => v !== undefined)) args.bandwidth = { ...request.bandwidth };
  if (request.dns !== undefined) args.dns = request.dns;
  if (request.cgroupPath !== undefined && request.cgroupPath !== '') args.cgroupPath = request.cgroupPath;
  return args;
}

/** Interface names: the first network gets `first` (eth0), the others net1, net2, ... */
export function interfaceNameFor(index: number, first: string): string {
  return index === 0 ? first : `net${index}`;
}

async function pathExists(path: string): Promise<boolean> {
  if (path === '') return false;
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function statusOf(entries: CachedAttachment[]): PodNetworkStatus {
  const attachments = entries.flatMap((e) => (e.result ? [{ network: e.network, ifName: e.ifName, result: parseCniResult(e.result) }] : []));
  const primary = attachments[0];
  return { ips: primary ? podIps(primary.result, primary.ifName) : [], attachments };
}

function runtimeOf(entry: CachedAttachment, netnsPath: string): AttachmentRuntime {
  return {
    containerId: entry.podId,
    netns: netnsPath,
    ifName: entry.ifName,
    cniArgs: entry.cniArgs,
    capabilityArgs: entry.capabilityArgs,
  };
}

export class PodNetworks {
  private readonly config: CniConfig;
  private readonly cache: ResultCache;
  private readonly log: Logger;
  private readonly runOptions: PluginRunOptions;
  private readonly lock = new KeyedLock();

  constructor(options: PodNetworksOptions) {
    this.config = options.config;
    this.log = options.log.child({ component: 'cni' });
    this.cache = new ResultCache(options.cacheDir, this.log);
    this.runOptions = {
      binDirs: options.config.binDirs,
      timeoutMs: options.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS,
      log: this.log,
    };
  }

  /** The network configs setUp would use now (re-read from conf_dir every time). */
  async loadNetworks(): Promise<CniNetworkConfig[]> {
    const { confDir, maxConfNum } = this.config;
    try {
      return await loadNetworkConfigs(confDir, maxConfNum);
    } catch (err) {
      if (!(err instanceof CniConfigError)) throw err;
      const detail = err.message.startsWith('no network config found') ? err.message : `no network config found in ${confDir} (${err.message})`;
      throw new CriError(
        'FailedPrecondition',
        `network plugin is not ready: ${detail}; put a CNI network config (.conflist) in ${confDir} (cni.conf_dir)`,
        { cause: err },
      );
    }
  }

  /**
   * ADD on each loaded network (up to maxConfNum; the first gets ifName/'eth0',
   * others 'net1', 'net2', ...), caching each attachment as soon as it is up.
   * If one fails, DEL it (best effort) and every attachment added before it,
   * then throw the failure.
   */
  async setUp(request: PodNetworkRequest): Promise<PodNetworkStatus> {
    validateRequest(request);
    return this.lock.run(request.podId, async () => {
      const networks = await this.loadNetworks();
      const cniArgs = podCniArgs(request);
      const capabilityArgs = capabilityArgsOf(request);
      const added: CachedAttachment[] = [];
      for (const [index, network] of networks.entries()) {
        const rt: AttachmentRuntime = {
          containerId: request.podId,
          netns: request.netnsPath,
          ifName: interfaceNameFor(index, request.ifName ?? 'eth0'),
          cniArgs,
          capabilityArgs,
        };
        let entry: CachedAttachment;
        try {
          entry = await this.attach(network, rt, index, request.netnsPath);
        } catch (err) {
          await this.rollbackPod(request.podId, added);
          this.log.warn({ podId: request.podId, network: network.name, err: errorMessage(err) }, 'pod network setup failed');
          throw err instanceof CriError ? err : new CriError('Internal', `pod ${request.podId}: network "${network.name}": ${errorMessage(err)}`, { cause: err });
        }
        added.push(entry);
      }
      const status = statusOf(added);
      this.log.info({ podId: request.podId, ips: status.ips, networks: added.map((a) => a.network) }, 'pod network set up');
      return status;
    });
  }

  /**
   * DEL every attachment cached for the pod, in reverse, with the cached
   * config and result (not the current conf dir), then drop the cache. No
   * cache means nothing to do. Every plugin gets its DEL even when one fails
   * (DEL is idempotent). When the netns is gone, plugin errors are
   * logged as warnings and the attachment counts as removed. A DEL that fails
   * otherwise keeps its cache entry (so a retry can finish) and is thrown.
   */
  async tearDown(podId: string, netnsPath: string): Promise<void> {
    await this.lock.run(podId, async () => {
      const entries = await this.cache.listPod(podId);
      const failures: unknown[] = [];
      for (const entry of [...entries].reverse()) {
        const netns = netnsPath !== '' ? netnsPath : entry.netnsPath;
        try {
          await delNetworkList(entry.config, runtimeOf(entry, netns), entry.result, this.runOptions, { continueOnError: true });
        } catch (err) {
          if (await pathExists(netns)) {
            failures.push(err);
            continue;
          }
          this.log.warn({ podId, network: entry.network, netns, err: errorMessage(err) }, 'CNI DEL failed for a network namespace that is already gone; treating it as removed');
        }
        await this.cache.remove(entry);
      }
      if (failures.length > 0) {
        const first = failures[0];
        if (failures.length === 1 && first instanceof CriError) throw first;
        throw new CriError('Internal', `pod ${podId}: network teardown failed: ${failures.map(errorMessage).join('; ')}`, { cause: first });
      }
      await this.cache.removePod(podId);
      if (entries.length > 0) this.log.info({ podId, networks: entries.map((e) => e.network) }, 'pod network torn down');
    });
  }

  /** CHECK on each cached attachment (networks below spec 0.4.0 or with disableCheck are skipped); no cache, nothing to check. */
  async check(podId: string): Promise<void> {
    await this.lock.run(podId, async () => {
      for (const entry of await this.cache.listPod(podId)) {
        if (!entry.result) continue; // an ADD that never finished: nothing to check
        await checkNetworkList(entry.config, runtimeOf(entry, entry.netnsPath), entry.result, this.runOptions);
      }
    });
  }

  /** Pods with any cached attachment (for recovery: those without a record were cut short). */
  cachedPodIds(): Promise<Set<string>> {
    return this.cache.podIds();
  }

  /** The cached status of a pod (for PodSandboxStatus after a restart), or undefined. */
  async cachedStatus(podId: string): Promise<PodNetworkStatus | undefined> {
    const entries = await this.cache.listPod(podId);
    return entries.length > 0 ? statusOf(entries) : undefined;
  }

  /** Every cached attachment (for recovery: pods whose sandbox is gone can be torn down). */
  async cachedAttachments(): Promise<CachedAttachment[]> {
    return this.cache.list();
  }

  /** ADD one network and cache it; on failure DEL it again (best effort) before throwing. */
  private async attach(network: CniNetworkConfig, rt: AttachmentRuntime, index: number, netnsPath: string): Promise<CachedAttachment> {
    const pending: CachedAttachment = {
      podId: rt.containerId,
      network: network.name,
      ifName: rt.ifName,
      index,
      netnsPath,
      config: network,
      cniArgs: rt.cniArgs,
      capabilityArgs: rt.capabilityArgs,
      createdAt: new Date().toISOString(),
    };
    // Cached before ADD: if cri-ts dies while a plugin runs, tearDown still sends the DEL that frees its IP.
    await this.writeCache(pending, false, () => Promise.resolve());
    let added: AddResult;
    try {
      added = await addNetworkList(network, rt, this.runOptions);
    } catch (err) {
      // The rollback DEL is best effort: a config or plugin that failed ADD usually fails DEL the same way, and a
      // pending entry kept for it would fail every later tearDown, so the pod could never be removed. The entry
      // exists for a cri-ts that dies while the plugin runs, when nothing here runs at all.
      await this.rollbackAttachment(network, rt, undefined);
      await this.cache.remove(pending);
      throw err;
    }
    const entry: CachedAttachment = { ...pending, result: added.raw };
    await this.writeCache(entry, true, async () => void (await this.rollbackAttachment(network, rt, added.raw)));
    return entry;
  }

  private async writeCache(entry: CachedAttachment, durable: boolean, undo: () => Promise<void>): Promise<void> {
    try {
      await this.cache.write(entry, durable);
    } catch (err) {
      await undo();
      throw new CriError('Internal', `pod ${entry.podId}: cannot write the CNI result cache in ${this.cache.dir}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** DEL after a failed ADD, best effort (a failure is logged). */
  private async rollbackAttachment(network: CniNetworkConfig, rt: AttachmentRuntime, result: Record<string, unknown> | undefined): Promise<void> {
    try {
      await delNetworkList(network, rt, result, this.runOptions, { continueOnError: true });
    } catch (err) {
      this.log.warn({ podId: rt.containerId, network: network.name, err: errorMessage(err) }, 'CNI DEL after a failed ADD failed too');
    }
  }

  private async rollbackPod(podId: string, added: CachedAttachment[]): Promise<void> {
    for (const entry of [...added].reverse()) {
      try {
        await delNetworkList(entry.config, runtimeOf(entry, entry.netnsPath), entry.result, this.runOptions, { continueOnError: true });
        await this.cache.remove(entry);
      } catch (err) {
        // keep the cache entry: tearDown (StopPodSandbox) can retry with it
        this.log.warn({ podId, network: entry.network, err: errorMessage(err) }, 'CNI DEL while undoing a failed pod network setup failed; tearDown will retry');
      }
    }
  }
}
