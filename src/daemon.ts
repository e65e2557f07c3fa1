import { mkdir } from 'node:fs/promises';
import type { CriTsConfig } from './config/config.js';
import { resolveRestrictOomScoreAdj } from './config/effective.js';
import { ContainerdClient } from './containerd/client.js';
import { ManagedContainerd } from './containerd/managed-containerd.js';
import type { Logger } from './log.js';
import { packageVersion } from './package-paths.js';
import { ImageCatalog } from './image/image-catalog.js';
import { ImagePuller } from './image/pull/image-puller.js';
import { SnapshotterUsageMeter } from './image/snapshotter-usage.js';
import type { ServerContext } from './server/context.js';
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

export async function startDaemon(config: CriTsConfig, log: Logger): Promise<RunningDaemon> {
  await mkdir(config.root, { recursive: true, mode: 0o711 });
  await mkdir(config.state, { recursive: true, mode: 0o711 });
  const restrictOomScoreAdj = resolveRestrictOomScoreAdj(config.restrictOomScoreAdj);
  log.info({ version: packageVersion, restrictOomScoreAdj }, 'starting cri-ts');

  const { client, managed } = await connectContainerd(config, log);
  const ctx: ServerContext = {
    config,
    containerd: client,
    log,
    restrictOomScoreAdj,
    imageFsUsage: new SnapshotterUsageMeter(client, config.containerd.snapshotter),
    images: new ImageCatalog(client, config.sandboxImage, log),
    puller: new ImagePuller(client, config, log),
  };
  let server;
  try {
    server = await startCriServer(ctx);
  } catch (err) {
    await managed?.stop();
    client.close();
    throw err;
  }

  let shuttingDown: Promise<void> | undefined;
  return {
    shutdown: () => {
      shuttingDown ??= (async () => {
        log.info('shutting down');
        await server.stop(SHUTDOWN_GRACE_MS);
        client.close();
        await managed?.stop();
        log.info('stopped');
      })();
      return shuttingDown;
    },
  };
}
