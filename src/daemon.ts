import { mkdir, rm } from 'node:fs/promises';
import type { CriTsConfig } from './config/config.js';
import { resolveRestrictOomScoreAdj } from './config/effective.js';
import { ContainerdClient } from './containerd/client.js';
import { ManagedContainerd } from './containerd/managed-containerd.js';
import type { Logger } from './log.js';
import { packageVersion } from './package-paths.js';
import { ImageCatalog } from './image/image-catalog.js';
import { ImagePuller } from './image/pull/image-puller.js';
import { SnapshotterUsageMeter } from './image/snapshotter-usage.js';
import { join } from 'node:path';
import { PodNetworks } from './cni/pod-network.js';
import { TaskEventMonitor } from './containerd/task-events.js';
import { ImageEventMonitor } from './containerd/image-events.js';
import { onContainerOom, onContainerTaskExit } from './container/container-exit.js';
import type { ContainerRuntime } from './container/container-runtime.js';
import { ContainerEvents } from './container/container-events.js';
import { useFifoPool } from './container/io/fifo-pool.js';
import { stopCommandHelper, useCommandHelper } from './host/command-runner.js';
import { ContainerStore } from './container/container-store.js';
import { ImageAccountsCache } from './container/image-accounts.js';
import { podContainerHooks } from './container/pod-containers.js';
import { reconcileContainerStates, recoverContainers } from './container/recover-containers.js';
import type { PodRuntime } from './sandbox/pod-runtime.js';
import { onSandboxTaskExit, reconcileSandboxStates, recoverSandboxes } from './sandbox/recover-sandboxes.js';
import { SandboxStore } from './sandbox/sandbox-store.js';
import type { ServerContext } from './server/context.js';
import { StatsContext } from './stats/stats-context.js';
import { containerRemoteCommandRunner } from './container/exec/remote-command-runner.js';
import { podPortForwarder } from './sandbox/port-forward.js';
import { StreamingRequestCache } from './streaming/request-cache.js';
import { startStreamingServer } from './streaming/server.js';
import { startCriServer } from './server/cri-server.js';

const SHUTDOWN_GRACE_MS = 5000;

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
  if (await configured.isAnswering()) {
    log.info({ address: configured.address, ...(await configured.version()) }, 'using containerd');
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

/** Rebuilds the pod and container indexes once containerd answers; pod and container calls wait for it. */
async function recoverWhenContainerdAnswers(pods: PodRuntime, containers: ContainerRuntime): Promise<void> {
  for (let delayMs = 200; ; delayMs = Math.min(delayMs * 2, 5000)) {
    try {
      // Containers first: cleaning up a half-created pod removes its containers through the index.
      const containerCounts = await recoverContainers(containers);
      const podCounts = await recoverSandboxes(pods);
      pods.log.info({ pods: podCounts, containers: containerCounts }, 'state recovered from containerd');
      return;
    } catch (err) {
      pods.log.warn({ err, retryMs: delayMs }, 'could not recover pod sandboxes yet');
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

export async function startDaemon(config: CriTsConfig, log: Logger): Promise<RunningDaemon> {
  await mkdir(config.root, { recursive: true, mode: 0o711 });
  await mkdir(config.state, { recursive: true, mode: 0o711 });
  const restrictOomScoreAdj = resolveRestrictOomScoreAdj(config.restrictOomScoreAdj);
  log.info({ version: packageVersion, restrictOomScoreAdj }, 'starting cri-ts');

  // Host programs (mount, ip, CNI plugins, mkfifo) start from a helper process: starting them here would stall every RPC.
  useCommandHelper(log);
  // FIFOs made ahead by an earlier run are not tracked: start the pool afresh.
  await rm(join(config.state, 'fifo-pool'), { recursive: true, force: true });
  useFifoPool(join(config.state, 'fifo-pool'));
  const { client, managed } = await connectContainerd(config, log);
  const imageFsUsage = new SnapshotterUsageMeter(client, config.containerd.snapshotter);
  const images = new ImageCatalog(client, config.sandboxImage, log, () => imageFsUsage.invalidate());
  const puller = new ImagePuller(client, config, log, (pulled) => images.recordsAdded(pulled.names));
  const pods: PodRuntime = {
    containerd: client,
    config,
    store: new SandboxStore(client),
    networks: new PodNetworks({ config: config.cni, cacheDir: join(config.root, 'cni-cache'), log }),
    images,
    puller,
    log,
    restrictOomScoreAdj,
    containers: { stopContainersOf: async () => undefined, removeContainersOf: async () => undefined },
  };
  const containers: ContainerRuntime = { pods, store: new ContainerStore(client, log), log, events: new ContainerEvents(), imageAccounts: new ImageAccountsCache(client) };
  pods.containers = podContainerHooks(containers);
  const recovered = recoverWhenContainerdAnswers(pods, containers);
  const events = new TaskEventMonitor(
    client,
    {
      onExit: (exit) => {
        if (!onSandboxTaskExit(pods, exit.containerId, exit.processId)) onContainerTaskExit(containers, exit);
      },
      onOom: (containerId) => onContainerOom(containers, containerId),
      onSubscribed: () => {
        void recovered
          .then(() => Promise.all([reconcileSandboxStates(pods), reconcileContainerStates(containers)]))
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
  const streamingServer = await startStreamingServer({
    address: config.streamServerAddress,
    port: config.streamServerPort,
    runner: containerRemoteCommandRunner(containers),
    forwarder: podPortForwarder(pods),
    cache: streamingCache,
    log,
    idleTimeoutMs: config.streamIdleTimeoutMs,
  });
  log.info({ url: streamingServer.baseUrl }, 'streaming server listening');
  const ctx: ServerContext = {
    config,
    containerd: client,
    log,
    restrictOomScoreAdj,
    imageFsUsage,
    images,
    puller,
    pods,
    containers,
    stats: new StatsContext(client, config.statsCollectPeriodMs),
    streaming: { requestUrl: (request) => streamingServer.urlFor(request.kind, streamingCache.insert(request)) },
    recovered,
  };
  let server;
  try {
    server = await startCriServer(ctx);
  } catch (err) {
    await streamingServer.close();
    events.stop();
    imageEvents.stop();
    await managed?.stop();
    client.close();
    stopCommandHelper();
    throw err;
  }

  let shuttingDown: Promise<void> | undefined;
  return {
    shutdown: () => {
      shuttingDown ??= (async () => {
        log.info('shutting down');
        await server.stop(SHUTDOWN_GRACE_MS);
        await streamingServer.close();
        events.stop();
        imageEvents.stop();
        await containers.store.flush();
        client.close();
        await managed?.stop();
        stopCommandHelper();
        log.info('stopped');
      })();
      return shuttingDown;
    },
  };
}
