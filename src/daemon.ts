import { mkdir, rm } from 'node:fs/promises';
import { ConfigError, type CriTsConfig } from './config/config.js';
import { resolveRestrictOomScoreAdj } from './config/effective.js';
import { ContainerdClient } from './containerd/client.js';
import { reuseRecentSuccess } from './containerd/recent-answer.js';
import type { TemporaryLeases } from './containerd/temporary-leases.js';
import { ManagedContainerd } from './containerd/managed-containerd.js';
import type { Logger } from './log.js';
import { packageVersion } from './package-paths.js';
import { ImageCatalog } from './image/image-catalog.js';
import { ImagePuller } from './image/pull/image-puller.js';
import { SnapshotterUsageMeter } from './image/snapshotter-usage.js';
import { join } from 'node:path';
import { NetworkConfigWatch } from './cni/network-config-watch.js';
import { PodNetworks } from './cni/pod-network.js';
import { TaskEventMonitor } from './containerd/task-events.js';
import { listTasks } from './containerd/tasks.js';
import { allStepsSettled } from './undo-stack.js';
import { ImageEventMonitor } from './containerd/image-events.js';
import { ContainerEvents } from './container/container-events.js';
import { ContainerLifecycle } from './container/container-lifecycle.js';
import { ContainerStore } from './container/container-store.js';
import { ImageAccountsCache } from './container/image-accounts.js';
import { useFifoPool } from './container/io/fifo-pool.js';
import { stopCommandHelper, useCommandHelper } from './host/command-runner.js';
import type { CodeCache } from './host/code-cache.js';
import { startHeapTrim } from './host/heap-trim.js';
import { disabledNri } from './nri/nri-api.js';
import { type NriDomain, NriRuntime } from './nri/nri-runtime.js';
import { PodLifecycle } from './sandbox/pod-lifecycle.js';
import { SandboxStore } from './sandbox/sandbox-store.js';
import type { ServerContext } from './server/context.js';
import { StatsService } from './stats/stats-service.js';
import { StreamingRequestCache } from './streaming/request-cache.js';
import { startStreamingServer } from './streaming/server.js';
import { streamingTlsMaterial } from './streaming/tls-material.js';
import { startCriServer } from './server/cri-server.js';
import { metrics } from './metrics/metrics.js';
import { type MetricsServer, startMetricsServer } from './metrics/server.js';

const SHUTDOWN_GRACE_MS = 5000;
/** From recovery to writing the code cache: kubelet's first calls come within it. */
const CODE_CACHE_SAVE_DELAY_MS = 5000;
/** How long containerd having answered Status's probe counts as up. */
const CONTAINERD_ANSWER_REUSE_MS = 1000;

export interface RunningDaemon {
  shutdown(): Promise<void>;
}

/**
 * Picks the containerd to use: the configured one when it answers; otherwise,
 * when allowed, the managed one (adopted if a previous cri-ts left it running,
 * started if not). With neither, cri-ts still serves and reports
 * RuntimeReady=false until the configured containerd appears.
 */
async function connectContainerd(config: CriTsConfig, log: Logger): Promise<{ client: ContainerdClient; managed?: ManagedContainerd }> {
  const configured = ContainerdClient.fromConfig(config.containerd);
  // Its answer is the version logged: recovery waits for this call, so it is made once.
  const version = await configured.version({ timeoutMs: 1000 }).catch(() => undefined);
  if (version) {
    log.info({ address: configured.address, ...version }, 'using containerd');
    return { client: configured };
  }
  const managedConfig = config.containerd.managed;
  if (!managedConfig.enabled) {
    log.warn({ address: configured.address }, 'containerd does not answer yet; waiting for it');
    return { client: configured };
  }
  configured.close();
  const client = ContainerdClient.fromConfig(config.containerd, managedConfig.address);
  if (await client.isAnswering()) {
    log.info({ address: client.address }, 'adopting the managed containerd a previous cri-ts left running');
    return { client };
  }
  const managed = new ManagedContainerd(managedConfig, log, () => client.isAnswering());
  await managed.start();
  log.info({ address: client.address, ...(await client.version()) }, 'using managed containerd');
  return { client, managed };
}

/** What NRI plugins are synchronized with, and what their updates and evictions act on. */
function nriDomain(pods: PodLifecycle, containers: ContainerLifecycle): NriDomain {
  return {
    pods: () => pods.list(),
    containers: () =>
      Promise.all(containers.list().filter((c) => c.state === 'created' || c.state === 'running').map(async (container) => ({ container, spec: await containers.spec(container) }))),
    containerSpec: async (id) => {
      const container = containers.find(id);
      return container ? containers.spec(container) : undefined;
    },
    updateContainer: (id, resources) => containers.applyNriUpdate(id, resources),
    evictContainer: (id, reason) => containers.evict(id, reason),
  };
}

/** Rebuilds the pod and container indexes once containerd answers; pod and container calls wait for it. */
async function recoverWhenContainerdAnswers(client: ContainerdClient, pods: PodLifecycle, containers: ContainerLifecycle, log: Logger): Promise<void> {
  for (let delayMs = 200; ; delayMs = Math.min(delayMs * 2, 5000)) {
    try {
      // Pods and containers are indexed side by side from one snapshot of every task (containerd answers
      // Tasks.List by asking every shim for its task's state: one list, not two). Recovering containers changes no pod record or
      // pause task. Half-created pods are removed after both, their containers through the index.
      const started = performance.now();
      const tasks = listTasks(client);
      const [containerCounts, indexedPods] = await allStepsSettled([containers.recover(tasks), pods.indexRecovered(pods.readRecoverySnapshot(tasks))] as const);
      const indexedMs = Math.round(performance.now() - started);
      const podCounts = await pods.finishRecovery(indexedPods);
      log.info({ pods: podCounts, containers: containerCounts, indexedMs, ms: Math.round(performance.now() - started) }, 'state recovered from containerd');
      // Not awaited: calls need the index, not the sweep of leases no operation holds.
      void sweepTemporaryLeases(client.temporaryLeases, log);
      return;
    } catch (err) {
      log.warn({ err, retryMs: delayMs }, 'could not recover pod sandboxes yet');
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

/**
 * Writes V8's code cache for the next start, once, a while after recovery: by then it holds what
 * start-up, recovery and the first calls compiled. A cache the start used is left as it is.
 */
function saveCodeCacheAfter(recovered: Promise<void>, codeCache: CodeCache, log: Logger): () => void {
  if (codeCache.state === 'used' || codeCache.state === 'off') return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  void recovered.then(() => {
    if (stopped) return;
    timer = setTimeout(() => {
      const started = performance.now();
      codeCache.save().then(
        (bytes) => log.info({ file: codeCache.file, bytes, ms: Math.round(performance.now() - started) }, 'code cache written for the next start'),
        (err: unknown) => log.warn({ err, file: codeCache.file }, 'could not write the code cache; the next start compiles as usual'),
      );
    }, CODE_CACHE_SAVE_DELAY_MS);
    timer.unref();
  });
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Deletes the pull and creation leases an earlier run (or a call containerd did not answer) left behind. */
async function sweepTemporaryLeases(leases: TemporaryLeases, log: Logger): Promise<void> {
  try {
    const deleted = await leases.sweep();
    if (deleted > 0) log.info({ leases: deleted }, 'deleted leases no operation holds any more');
  } catch (err) {
    log.warn({ err }, 'could not sweep leftover leases; they expire by themselves');
  }
}

/** The /metrics endpoint, with pods and containers counted by state at each scrape. */
async function serveMetrics(address: string, pods: PodLifecycle, containers: ContainerLifecycle): Promise<MetricsServer> {
  // Every state is reported, 0 included, so a series never vanishes between scrapes.
  const countStates = (objects: ReadonlyArray<{ state: string }>, states: readonly string[]): Record<string, number> => {
    const counts: Record<string, number> = Object.fromEntries(states.map((state) => [state, 0]));
    for (const { state } of objects) counts[state] = (counts[state] ?? 0) + 1;
    return counts;
  };
  try {
    return await startMetricsServer({
      address,
      metrics: await metrics.enable(),
      counts: () => ({
        pods: countStates(pods.list(), ['ready', 'notready']),
        containers: countStates(containers.list(), ['created', 'running', 'exited', 'unknown']),
      }),
    });
  } catch (err) {
    // Said as a config error: the key names what to change, and no stack trace is printed.
    throw new ConfigError(`config key \`metrics.address\`: cannot serve metrics on ${address}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function startDaemon(config: CriTsConfig, log: Logger, codeCache?: CodeCache): Promise<RunningDaemon> {
  await mkdir(config.root, { recursive: true, mode: 0o711 });
  await mkdir(config.state, { recursive: true, mode: 0o711 });
  const restrictOomScoreAdj = resolveRestrictOomScoreAdj(config.restrictOomScoreAdj);
  log.info({ version: packageVersion, restrictOomScoreAdj, ...(codeCache ? { codeCache: codeCache.state } : {}) }, 'starting cri-ts');

  // FIFOs made ahead by an earlier run are not tracked: the pool starts afresh (removed while containerd is reached).
  const fifoPoolCleared = rm(join(config.state, 'fifo-pool'), { recursive: true, force: true });
  const { client, managed } = await connectContainerd(config, log);
  const imageFsUsage = new SnapshotterUsageMeter(client, config.containerd.snapshotter);
  const images = new ImageCatalog(client, config.sandboxImage, log, () => imageFsUsage.invalidate());
  const puller = new ImagePuller(client, config, log, {
    writing: (names) => images.expectOwnWrites(names),
    written: (pulled) => images.recordsWritten(pulled.names.map((name) => ({ name, labels: pulled.labels, target: pulled.target, resolved: pulled.resolved }))),
    notWritten: (names) => images.ownWritesFailed(names),
    recordedTarget: (name) => images.recordedTarget(name),
  });
  // The container lifecycle reads pods through their index; the pod lifecycle is handed the container
  // lifecycle for what stopping and removing a pod does to its containers. Built in that order, nothing is patched in later.
  const sandboxes = new SandboxStore(client);
  const nriRuntime = config.nri.enable ? new NriRuntime({ config: config.nri, log, runtimeVersion: packageVersion, restrictOomScoreAdj }) : undefined;
  const nri = nriRuntime ?? disabledNri;
  const containers = new ContainerLifecycle({
    containerd: client,
    config,
    restrictOomScoreAdj,
    log,
    store: new ContainerStore(client, log),
    events: new ContainerEvents(),
    imageAccounts: new ImageAccountsCache(client),
    images,
    pods: sandboxes,
    nri,
  });
  const pods = new PodLifecycle({
    containerd: client,
    config,
    restrictOomScoreAdj,
    log,
    store: sandboxes,
    networks: new PodNetworks({ config: config.cni, cacheDir: join(config.root, 'cni-cache'), log, pluginTimeoutMs: config.cni.pluginTimeoutMs }),
    images,
    puller,
    containers,
    nri,
  });
  const recovered = recoverWhenContainerdAnswers(client, pods, containers, log);
  // Host programs (mount, ip, CNI plugins, mkfifo) start from a helper process: starting them here would stall
  // every RPC. Started once recovery's first calls are out: spawning it holds this thread for a few ms, and
  // recovery runs no program before containerd has answered them.
  useCommandHelper(log);
  await fifoPoolCleared;
  useFifoPool(join(config.state, 'fifo-pool'));
  // NRI plugins are synchronized with the recovered pods and containers; the plugins under
  // plugin_path see every pod and container call from the first (as with containerd).
  const ready = nriRuntime
    ? recovered.then(() => nriRuntime.start(nriDomain(pods, containers)).catch((err: unknown) => log.error({ err }, 'NRI did not start; pods and containers run without plugins')))
    : recovered;
  const events = new TaskEventMonitor(
    client,
    {
      onExit: (exit) => {
        if (!pods.onTaskExit(exit.containerId, exit.processId)) containers.onTaskExit(exit);
      },
      onOom: (containerId) => containers.onOom(containerId),
      onSubscribed: () => {
        void recovered
          .then(async () => {
            // One snapshot of every task for pods and containers alike.
            const tasks = await listTasks(client);
            await Promise.all([pods.reconcile(tasks), containers.reconcile(tasks), sweepTemporaryLeases(client.temporaryLeases, log)]);
          })
          .catch((err: unknown) => log.warn({ err }, 'reconciling pod and container states failed'));
      },
    },
    log,
  );
  events.start();
  const imageEvents = new ImageEventMonitor(
    client,
    {
      onRecordChanged: (name) => images.recordChanged(name),
      onRecordDeleted: (name) => images.recordDeleted(name),
      onSubscribed: () => images.eventsFollowed(),
      onLost: () => images.eventsLost(),
    },
    log,
  );
  imageEvents.start();
  const streamingCache = new StreamingRequestCache();
  const streamingTls = await streamingTlsMaterial({
    enabled: config.enableTlsStreaming,
    certFile: config.streamTlsCertFile,
    keyFile: config.streamTlsKeyFile,
    listenAddress: config.streamServerAddress,
  });
  if (streamingTls?.selfSigned) log.info('streaming server: TLS with a self-signed certificate made at start');
  const streamingServer = await startStreamingServer({
    address: config.streamServerAddress,
    port: config.streamServerPort,
    ...(streamingTls ? { tls: streamingTls.material } : {}),
    runner: containers.remoteCommandRunner(),
    forwarder: pods.portForwarder(),
    cache: streamingCache,
    log,
    idleTimeoutMs: config.streamIdleTimeoutMs,
  });
  log.info({ url: streamingServer.baseUrl }, 'streaming server listening');
  const networkConfigs = new NetworkConfigWatch(config.cni.confDir, config.cni.maxConfNum);
  const ctx: ServerContext = {
    config,
    log,
    restrictOomScoreAdj,
    containerd: {
      address: client.address,
      check: reuseRecentSuccess(async (timeoutMs) => void (await client.version({ timeoutMs })), CONTAINERD_ANSWER_REUSE_MS, undefined, () => client.isConnected()),
    },
    networkConfigs,
    imageFsUsage,
    images,
    puller,
    pods,
    containers,
    stats: new StatsService({ containerd: client, collectPeriodMs: config.statsCollectPeriodMs, containers, imageFs: imageFsUsage, sandboxImage: config.sandboxImage }),
    streaming: { requestUrl: (request) => streamingServer.urlFor(request.kind, streamingCache.insert(request)) },
    recovered: ready,
  };
  let server;
  let metricsServer: MetricsServer | undefined;
  try {
    metricsServer = config.metrics.address === '' ? undefined : await serveMetrics(config.metrics.address, pods, containers);
    if (metricsServer) log.info({ url: metricsServer.url }, 'metrics server listening');
    server = await startCriServer(ctx);
  } catch (err) {
    await nriRuntime?.stop();
    await metricsServer?.close();
    await streamingServer.close();
    events.stop();
    imageEvents.stop();
    await managed?.stop();
    client.close();
    stopCommandHelper();
    throw err;
  }

  const stopHeapTrim = startHeapTrim(log);
  const stopCodeCacheSave = codeCache ? saveCodeCacheAfter(recovered, codeCache, log) : () => undefined;
  let shuttingDown: Promise<void> | undefined;
  return {
    shutdown: () => {
      shuttingDown ??= (async () => {
        log.info('shutting down');
        stopHeapTrim();
        stopCodeCacheSave();
        await server.stop(SHUTDOWN_GRACE_MS);
        await nriRuntime?.stop();
        await streamingServer.close();
        await metricsServer?.close();
        events.stop();
        imageEvents.stop();
        networkConfigs.close();
        await containers.flush();
        client.close();
        await managed?.stop();
        stopCommandHelper();
        log.info('stopped');
      })();
      return shuttingDown;
    },
  };
}
