import type { Container } from '../container/container.js';
import { withLinuxResources } from '../oci/resources.js';
import type { OciResources, OciSpec } from '../oci/oci-types.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { type CgroupLayout, cgroupsPathToPath } from '../host/cgroup-layout.js';
import { type CgroupUsage, readCgroupUsage } from './cgroup-usage.js';
import type { FilesystemFigures } from './filesystem-info.js';
import { readNetworkStats } from './network-stats.js';
import type { ContainerFigures, PodFigures, SpecResources } from './pod-metrics.js';
import { countOpenFiles, readSoftUlimits } from './process-files.js';
import type { LayerUsage } from './writable-layer-usage.js';

/** What reading a pod's figures needs besides the pod: shared by every pod of one call. */
export interface FigureSources {
  layout: CgroupLayout;
  containersOf(podId: string): Container[];
  writableLayer(container: Container): Promise<LayerUsage | undefined>;
  /** The snapshotter's filesystem, read once per call. */
  filesystem: FilesystemFigures | undefined;
  sandboxImage: string;
}

/**
 * The figures of a ready pod: its network namespace's interfaces, and of its
 * running containers: each cgroup's files read once, then the open files and
 * limits of the processes the cgroup lists. A cgroup that cannot be read
 * (gone meanwhile) leaves its container out rather than failing the call.
 * The pod's own cgroup is not read: as with containerd's CRI, a pod's
 * series are its network's.
 */
export async function readPodFigures(sandbox: Sandbox, sources: FigureSources): Promise<Omit<PodFigures, 'deviceNames'>> {
  const config = sandbox.metadata.config;
  const running = sources.containersOf(sandbox.id).filter((c) => c.metadata.state === 'running' && c.metadata.cgroupsPath !== '');
  const [network, containers] = await Promise.all([
    sandbox.pid > 0 && !sandbox.metadata.hostNetwork ? readNetworkStats(sandbox.pid).catch(() => undefined) : undefined,
    Promise.all(running.map((c) => readContainerFigures(c, sources))),
  ]);
  const figures: Omit<PodFigures, 'deviceNames'> = {
    podId: sandbox.id,
    podName: config.metadata?.name ?? '',
    namespace: config.metadata?.namespace ?? '',
    sandboxCgroupPath: sandbox.metadata.cgroupsPath ? cgroupsPathToPath(sandbox.metadata.cgroupsPath) : '',
    sandboxImage: sources.sandboxImage,
    containers: containers.filter((c): c is ContainerFigures => c !== undefined),
  };
  if (network) figures.network = network;
  return figures;
}

async function readUsage(layout: CgroupLayout, cgroupsPath: string): Promise<CgroupUsage | undefined> {
  return readCgroupUsage(layout.dirsFor(cgroupsPath)).catch(() => undefined);
}

async function readContainerFigures(container: Container, sources: FigureSources): Promise<ContainerFigures | undefined> {
  const { metadata } = container;
  const [usage, writableLayer] = await Promise.all([readUsage(sources.layout, metadata.cgroupsPath), sources.writableLayer(container).catch(() => undefined)]);
  if (!usage) return undefined;
  // The init process holds the limits cadvisor reports; after a restart cri-ts may not know its pid.
  const rootPid = container.pid > 0 ? container.pid : usage.processIds[0];
  const [openFiles, ulimits] = await Promise.all([
    countOpenFiles(usage.processIds).catch(() => undefined),
    rootPid === undefined ? undefined : readSoftUlimits(rootPid).catch(() => undefined),
  ]);
  const figures: ContainerFigures = {
    containerId: container.id,
    name: metadata.config.metadata?.name ?? '',
    image: metadata.config.image?.userSpecifiedImage || metadata.imageName,
    cgroupPath: cgroupsPathToPath(metadata.cgroupsPath),
    startedAtNs: BigInt(metadata.startedAtNs || 0),
    usage,
    resources: specResources(container),
  };
  if (openFiles) figures.openFiles = openFiles;
  if (ulimits) figures.ulimits = ulimits;
  if (writableLayer) figures.writableLayer = writableLayer;
  if (sources.filesystem) figures.filesystem = sources.filesystem;
  return figures;
}

/** The limits the container runs with: its spec's when cri-ts holds it, else derived from its CRI config as at creation. */
export function specResources(container: Pick<Container, 'spec' | 'metadata'>): SpecResources {
  let resources: OciResources | undefined = container.spec?.linux?.resources;
  if (!resources) {
    const derived: OciSpec = { ociVersion: '' };
    try {
      withLinuxResources(derived, container.metadata.config.linux?.resources ?? null);
    } catch {
      // Checked when the container was created; a record that no longer parses has no limits to report.
    }
    resources = derived.linux?.resources;
  }
  const picked: SpecResources = {};
  if (resources?.cpu?.period !== undefined) picked.cpuPeriod = resources.cpu.period;
  if (resources?.cpu?.quota !== undefined) picked.cpuQuota = resources.cpu.quota;
  if (resources?.cpu?.shares !== undefined) picked.cpuShares = resources.cpu.shares;
  if (resources?.memory?.limit !== undefined) picked.memoryLimit = resources.memory.limit;
  if (resources?.memory?.swap !== undefined) picked.memorySwapLimit = resources.memory.swap;
  if (resources?.pids?.limit !== undefined && resources.pids.limit > 0) picked.pidsLimit = resources.pids.limit;
  return picked;
}
