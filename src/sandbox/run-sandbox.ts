import { nowEpochNs } from '../clock.js';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PodNetworkStatus } from '../cni/pod-network.js';
import { createRecordAndSnapshot, remapFor } from '../records/container-records.js';
import { createAndStartTask, killAndDeleteTask } from '../containerd/tasks.js';
import { resolveRuntimeHandler } from '../records/runtime-handler.js';
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
import type { PodSandboxConfig__Output } from '../generated/cri/runtime/v1/PodSandboxConfig.js';
import { ociRuntimeFeatures } from '../host/runtime-features.js';
import { chainIds } from '../image/chain-ids.js';
import { USERNS_FIELD } from '../oci/user-namespace.js';
import type { RuntimeHandler } from '../records/runtime-handler.js';
import { allStepsSettled, UndoStack } from '../undo-stack.js';
import { attachNetns, createNetns, netnsPath as netnsPathOf, removeNetns } from './netns.js';
import type { PodContext } from './pod-context.js';
import { Sandbox, type SandboxMetadata, sandboxNameKey } from './sandbox.js';
import { mountShm, removeSandboxFiles, sandboxPaths, unmountShm, writeSandboxFiles } from './sandbox-files.js';
import { ensureSandboxImage } from './sandbox-image.js';
import { pauseNeedsNetwork } from './start-order.js';
import { buildSandboxSpec, namespaceModes } from './sandbox-spec.js';
import { encodeSandboxMetadata, SANDBOX_EXTENSION } from './sandbox-store.js';
import { CriTsLabel } from '../records/labels.js';
import { metrics } from '../metrics/metrics.js';
import { PhaseTimer } from '../metrics/phase-timer.js';

type PodNetwork = Pick<PodNetworkStatus, 'ips' | 'attachments'>;
/** What a pod without a network of its own (host network) gets from CNI. */
const NO_NETWORK: PodNetwork = { ips: [], attachments: [] };

function requireField(value: string | undefined, field: string): void {
  if (!value) throw new InvalidArgumentError(`${field} is empty; kubelet sets it from the pod (name, namespace and uid are required)`);
}

/** A pod in its own user namespace needs a runtime with idmapped mounts (what Status reports as user_namespaces). */
async function requireUserNamespaces(handler: RuntimeHandler): Promise<void> {
  if (handler.ociBinary && (await ociRuntimeFeatures(handler.ociBinary)).userNamespaces) return;
  throw new FailedPreconditionError(
    `runtime handler "${handler.name}" cannot run a pod in its own user namespace (${USERNS_FIELD} mode POD): ` +
      `its runtime ${handler.ociBinary ?? handler.runtimeType} reports no idmapped mounts (runc has them from 1.2); ` +
      'use a handler whose Status reports user_namespaces, or mode NODE',
  );
}

/**
 * RunPodSandbox: the pod's files and shm, its network namespace, its
 * containerd record and snapshot, then the pause task, started while CNI sets
 * up the network. Each step registers its undo, so a failure at any point
 * leaves nothing behind. Each phase is timed; the
 * sandbox keeps the timings for its verbose status, and /metrics gets them.
 */
export async function runSandbox(ctx: PodContext, config: PodSandboxConfig__Output, runtimeHandler: string): Promise<string> {
  const m = config.metadata;
  requireField(m?.name, 'config.metadata.name');
  requireField(m?.namespace, 'config.metadata.namespace');
  requireField(m?.uid, 'config.metadata.uid');
  const handler = resolveRuntimeHandler(ctx.config.containerd, runtimeHandler);
  const modes = namespaceModes(config);
  const userns = modes.userNamespace;
  if (userns.mode === 'pod') await requireUserNamespaces(handler);
  // A pod's own user namespace must own its netns: the pause container makes it, and CNI runs once it is there.
  const netnsFromPause = userns.mode === 'pod' && !modes.hostNetwork;

  const id = randomBytes(32).toString('hex');
  const log = ctx.log.child({ podId: id, pod: `${m!.namespace}/${m!.name}` });
  const nameKey = sandboxNameKey(config);
  ctx.store.reserveName(nameKey, id);
  const undo = new UndoStack();
  undo.push('release the pod name', async () => ctx.store.releaseName(nameKey, id));
  const phases = new PhaseTimer();
  try {
    const image = await phases.time('sandbox_image', () => ensureSandboxImage(ctx));
    const chainId = chainIds(image.config.diffIds).at(-1) ?? '';
    const paths = sandboxPaths(ctx.config.root, ctx.config.state, id);
    undo.push('remove the pod files', () => removeSandboxFiles(paths));
    // Made before any other trace of the pod: after a crash, recovery finds the netns, shm and CNI attachments of a pod without a record through it.
    await mkdir(paths.dir, { recursive: true, mode: 0o755 });
    const netnsPath = modes.hostNetwork ? '' : netnsPathOf(id);
    const spec = buildSandboxSpec({
      id,
      config,
      image: image.config,
      imageName: ctx.config.sandboxImage,
      netnsPath: modes.hostNetwork || netnsFromPause ? undefined : netnsPath,
      shmPath: modes.hostIpc ? undefined : paths.shm,
      cgroupDriver: ctx.config.cgroupDriver,
      containerdNamespace: ctx.config.containerd.namespace,
      restrictOomScoreAdj: ctx.restrictOomScoreAdj,
      enableUnprivilegedPorts: ctx.config.enableUnprivilegedPorts,
      enableUnprivilegedIcmp: ctx.config.enableUnprivilegedIcmp,
    });
    const { snapshotter } = handler;
    const metadata: SandboxMetadata = {
      version: 1,
      id,
      config,
      runtimeHandler: handler.name,
      createdAtNs: nowEpochNs().toString(),
      netnsPath,
      hostNetwork: modes.hostNetwork,
      // Known once CNI answers; the record says so when the pod is complete.
      ips: [],
      cgroupsPath: spec.linux?.cgroupsPath ?? '',
      imageId: image.id,
      snapshotter,
      complete: false,
      stopped: false,
    };

    // The pause task needs the pod's files and shm, its netns and its
    // containerd record and snapshot, which are made at once. It does not need
    // a configured network: CNI ADD (the slowest step) runs as soon as the
    // netns is pinned, while the task is created and started, so the floor is
    // max(CNI, runc) rather than their sum (containerd's CRI runs them one
    // after the other). Every branch is timed on its own; parallel_setup spans
    // them all. Whatever fails, every branch settles before the undo runs.
    const parallelStarted = performance.now();
    const filesReady = phases.time('files', async () => {
      await writeSandboxFiles(paths, { hostname: config.hostname, hostNetwork: modes.hostNetwork, dns: config.dnsConfig });
      if (!modes.hostIpc) {
        undo.push('unmount the pod shm', () => unmountShm(paths.shm));
        await mountShm(paths.shm);
      }
    });
    const networkRequest = {
      podId: id,
      netnsPath,
      podName: m!.name,
      podNamespace: m!.namespace,
      podUid: m!.uid,
      portMappings: config.portMappings.map((p) => ({
        hostPort: p.hostPort,
        containerPort: p.containerPort,
        protocol: p.protocol === 'UDP' ? ('udp' as const) : p.protocol === 'SCTP' ? ('sctp' as const) : ('tcp' as const),
        ...(p.hostIp ? { hostIP: p.hostIp } : {}),
      })),
      ...(config.dnsConfig ? { dns: { servers: config.dnsConfig.servers, searches: config.dnsConfig.searches, options: config.dnsConfig.options } } : {}),
      ...(config.linux?.cgroupParent ? { cgroupPath: config.linux.cgroupParent } : {}),
    };
    const pinNetns = async (pin: () => Promise<unknown>): Promise<void> => {
      undo.push('remove the network namespace', () => removeNetns(netnsPath));
      await phases.time('netns', pin);
    };
    const addNetwork = async (): Promise<PodNetwork> => {
      undo.push('tear down the pod network', () => ctx.networks.tearDown(id, netnsPath));
      const network = await phases.time('cni_add', () => ctx.networks.setUp(networkRequest));
      log.info({ ips: network.ips }, 'pod network set up');
      return network;
    };
    const ownNetns = !modes.hostNetwork && !netnsFromPause;
    const networkStarted = performance.now();
    const netnsReady = ownNetns ? pinNetns(() => createNetns(id)) : Promise.resolve();
    const networkReady: Promise<PodNetwork> = ownNetns
      ? netnsReady.then(addNetwork).then((network) => (phases.add('network', networkStarted), network))
      : Promise.resolve(NO_NETWORK);

    const recordReady = phases.time('record_and_snapshot', () => createRecordAndSnapshot(
      ctx.containerd,
      {
        id,
        labels: { [CriTsLabel.kind]: CriTsLabel.sandboxKind, ...config.labels },
        image: ctx.config.sandboxImage,
        runtime: { name: handler.runtimeType, ...(handler.options ? { options: handler.options } : {}) },
        spec,
        snapshotter,
        parent: chainId,
        snapshotLabels: { [CriTsLabel.sandboxId]: id },
        extensions: { [SANDBOX_EXTENSION]: encodeSandboxMetadata(metadata) },
        ...remapFor(userns, join(ctx.config.state, 'scratch'), log),
      },
      undo,
      phases,
    ));

    // CNI failing first makes starting the pause task pointless: it is skipped (and everything undone).
    let networkFailed = false;
    networkReady.catch(() => (networkFailed = true));
    // A sysctl of the pod's own interface needs that interface before runc writes it.
    const prerequisites = Promise.all([filesReady, netnsReady, recordReady, pauseNeedsNetwork(config) ? networkReady : undefined]);
    const taskReady = prerequisites.then(async ([, , mounts]) => {
      if (networkFailed) throw new Error('the pod network failed; the pause task is not started');
      const taskStarted = performance.now();
      undo.push('kill the pause task', () => killAndDeleteTask(ctx.containerd, id));
      const pid = await createAndStartTask(ctx.containerd, id, mounts, {}, handler.options, phases);
      phases.add('pause_task', taskStarted);
      return pid;
    });
    const [, network, , pid] = await allStepsSettled([filesReady, networkReady, recordReady, taskReady]);
    phases.add('parallel_setup', parallelStarted);

    // A pod of its own user namespace: its pause process made the netns, which is pinned and set up now.
    const { ips, attachments } = netnsFromPause
      ? await phases.time('network', async () => {
          await pinNetns(() => attachNetns(id, pid));
          return addNetwork();
        })
      : network;
    const sandbox = new Sandbox({ ...metadata, ips, complete: true }, paths, 'ready', pid);
    sandbox.spec = spec;
    sandbox.networkAttachments = attachments;
    // NRI plugins hear of the pod before anyone can see it; a plugin that connects meanwhile waits until it is listed.
    const releaseSync = await ctx.nri.blockSync();
    try {
      await ctx.nri.runPodSandbox(sandbox);
      undo.push('tell NRI plugins the pod is gone', async () => {
        await ctx.nri.stopPodSandbox(sandbox);
        await ctx.nri.removePodSandbox(sandbox);
      });
      await phases.time('state_write', () => ctx.store.persist(sandbox));
      sandbox.startPhases = phases.finish();
      ctx.store.add(sandbox);
    } finally {
      releaseSync();
    }
    metrics.podStarted(sandbox.startPhases);
    log.info({ pid, ms: phases.elapsedMs() }, 'pod sandbox running');
    return id;
  } catch (err) {
    log.warn({ err }, 'pod sandbox failed to start; undoing what was done');
    await undo.unwind(log);
    throw err;
  }
}
