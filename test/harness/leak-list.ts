import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ContainerdClient } from '../../src/containerd/client.js';

const exec = promisify(execFile);

/**
 * What one test's cri-ts may leave on the host, scoped to that test alone:
 * its own state directories, its containerd, its bridge and IPAM directory,
 * its cgroup parent. Other tests' pods on the same host never count.
 */
export interface LeakScope {
  /** cri-ts's `root` and `state` (pod files, container dirs, FIFO dirs, CNI cache). */
  readonly root: string;
  readonly state: string;
  /** Everything below it that is mounted counts (shm, rootfs, image mounts). */
  readonly testDir: string;
  /** The containerd cri-ts uses (a getter: a managed one may be replaced). */
  readonly containerd: () => ContainerdClient;
  /** Its socket, as its shims name it on their command line. */
  readonly containerdAddress: () => string;
  /** The CNI bridge of the test's network: veths on it are its pods'. */
  readonly bridge: string;
  /** host-local's dataDir of the test's network (IP reservations, one file each). */
  readonly ipamDir: string;
  /** The pods' linux.cgroup_parent (cgroupfs driver), e.g. "/crits-faults-1". */
  readonly cgroupParent: string;
  /** cri-ts's log: pod IDs it names make their netns attributable to this test. */
  readonly logPath?: string;
}

export interface LeakList {
  netns: string[];
  veth: string[];
  mounts: string[];
  containerRecords: string[];
  activeSnapshots: string[];
  leases: string[];
  ipReservations: string[];
  podDirs: string[];
  podStateDirs: string[];
  containerDirs: string[];
  fifoDirs: string[];
  cniCache: string[];
  shims: string[];
  cgroups: string[];
  ingests: string[];
}

const listDir = (dir: string): Promise<string[]> => readdir(dir).catch(() => [] as string[]);

/** Pod IDs this test's cri-ts has left any trace of: netns names are attributed through them. */
async function knownPodIds(scope: LeakScope, records: string[]): Promise<Set<string>> {
  const ids = new Set<string>(records);
  for (const dir of [join(scope.root, 'pods'), join(scope.state, 'pods'), join(scope.root, 'cni-cache')]) {
    for (const name of await listDir(dir)) ids.add(name.split(/[^0-9a-f]/)[0] ?? name);
  }
  // host-local writes the container ID (cri-ts passes the pod ID) into each reservation.
  for (const ip of await ipFiles(scope.ipamDir)) {
    const owner = (await readFile(ip, 'utf8').catch(() => '')).split('\n')[0]?.trim();
    if (owner) ids.add(owner);
  }
  if (scope.logPath) {
    const log = await readFile(scope.logPath, 'utf8').catch(() => '');
    for (const m of log.matchAll(/"podId":"([0-9a-f]{64})"/g)) ids.add(m[1]!);
  }
  ids.delete('');
  return ids;
}

async function ipFiles(ipamDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const network of await listDir(ipamDir)) {
    for (const name of await listDir(join(ipamDir, network))) {
      if (/^[0-9a-f.:]+$/.test(name) && (name.includes('.') || name.includes(':'))) out.push(join(ipamDir, network, name));
    }
  }
  return out;
}

async function shimsOf(address: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of (await listDir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (!argv[0]?.includes('containerd-shim')) continue;
    const i = argv.indexOf('-address');
    if (i >= 0 && argv[i + 1] === address) out.push(`${pid} ${argv[argv.indexOf('-id') + 1] ?? '?'}`);
  }
  return out;
}

/** Cgroup directories below the pods' parent, in the v1 hierarchies runc fills and in cgroup2. */
async function cgroupsUnder(parent: string): Promise<string[]> {
  const out: string[] = [];
  const relative = parent.replace(/^\/+/, '');
  for (const hierarchy of ['memory', 'pids', 'cpu,cpuacct', 'cpuset', 'blkio', 'devices', 'freezer', 'unified']) {
    const base = join('/sys/fs/cgroup', hierarchy, relative);
    for (const entry of await readdir(base, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) out.push(join(base, entry.name));
    }
  }
  return out;
}

/** Everything of the scope's that exists now; empty lists when no pod or container is left. */
export async function listLeaks(scope: LeakScope): Promise<LeakList> {
  const containerd = scope.containerd();
  const { containers } = await containerd.containers.List({ filters: [] });
  const containerRecords = containers.map((c) => c.id);
  const activeSnapshots: string[] = [];
  for await (const page of containerd.listSnapshots({ snapshotter: 'overlayfs' })) {
    activeSnapshots.push(...page.info.filter((s) => s.kind !== 'COMMITTED').map((s) => s.name));
  }
  const leases = (await containerd.leases.List({ filters: [] })).leases.map((l) => l.id);
  const ingests = (await containerd.content.ListStatuses({ filters: [] })).statuses.map((s) => s.ref);

  const ids = await knownPodIds(scope, containerRecords);
  const prefixes = new Set([...ids].map((id) => id.slice(0, 32)));
  const netns = (await listDir('/run/netns')).filter((n) => n.startsWith('cri-ts-') && prefixes.has(n.slice('cri-ts-'.length)));

  const vethText = await exec('ip', ['-o', 'link', 'show', 'master', scope.bridge]).then((r) => r.stdout, () => '');
  const veth = vethText.split('\n').filter((l) => l.includes('veth') || / veth/.test(l)).map((l) => l.split(':')[1]?.trim().split('@')[0] ?? l);

  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const mounts = mountinfo
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(`${scope.testDir}/`) || netns.some((n) => p === `/run/netns/${n}`));

  return {
    netns,
    veth,
    mounts,
    containerRecords,
    activeSnapshots,
    leases,
    ipReservations: (await ipFiles(scope.ipamDir)).map((p) => p.slice(scope.ipamDir.length + 1)),
    podDirs: await listDir(join(scope.root, 'pods')),
    podStateDirs: await listDir(join(scope.state, 'pods')),
    containerDirs: await listDir(join(scope.root, 'containers')),
    fifoDirs: await listDir(join(scope.state, 'containers')),
    cniCache: await listDir(join(scope.root, 'cni-cache')),
    shims: await shimsOf(scope.containerdAddress()),
    cgroups: await cgroupsUnder(scope.cgroupParent),
    ingests,
  };
}

/** The non-empty entries, one line each: "" when nothing is left. */
export function describeLeaks(list: LeakList): string {
  return Object.entries(list)
    .filter(([, items]) => (items as string[]).length > 0)
    .map(([kind, items]) => `${kind} (${(items as string[]).length}): ${(items as string[]).slice(0, 5).join(', ')}${(items as string[]).length > 5 ? ', ...' : ''}`)
    .join('\n');
}

/** Counts per kind, for soak samples. */
export function countLeaks(list: LeakList): Record<keyof LeakList, number> {
  return Object.fromEntries(Object.entries(list).map(([k, v]) => [k, (v as string[]).length])) as Record<keyof LeakList, number>;
}

/** Removes the pods' cgroup parent directories once the test is done (empty by then). */
export async function removeCgroupParent(parent: string): Promise<void> {
  const relative = parent.replace(/^\/+/, '');
  // Every hierarchy mounted here, by whatever name (cpu and cpuacct are mounted apart on some hosts, together on
  // others), and /sys/fs/cgroup itself for a cgroup v2 host.
  const hierarchies = (await readdir('/sys/fs/cgroup', { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
  for (const hierarchy of ['', ...hierarchies]) {
    const base = join('/sys/fs/cgroup', hierarchy, relative);
    // Empty leftovers below it first (rmdir refuses a cgroup with a process in it, as it should).
    for (const entry of await readdir(base, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await exec('rmdir', [join(base, entry.name)]).catch(() => undefined);
    }
    await exec('rmdir', [base]).catch(() => undefined);
  }
}

/**
 * Shims containerd itself lost: a containerd killed during Tasks.Create
 * leaves the shim running with a created (never started) container, and its
 * bundle's `runtime` file empty; containerd 1.6.20 neither loads nor cleans
 * such a bundle when it starts again, so no Tasks call reaches it. Returns
 * their IDs (the bundle directories under containerd's state).
 */
export async function bundlesLostByContainerd(containerdState: string): Promise<string[]> {
  const dir = join(containerdState, 'io.containerd.runtime.v2.task', 'k8s.io');
  const lost: string[] = [];
  for (const id of await listDir(dir)) {
    const runtime = await readFile(join(dir, id, 'runtime'), 'utf8').catch(() => undefined);
    if (runtime === '') lost.push(id);
  }
  return lost;
}

/** Leaves out the lost bundles' shims and cgroups: what is left is cri-ts's to answer for. */
export function withoutLostBundles(list: LeakList, lost: readonly string[]): LeakList {
  const mine = (entry: string): boolean => !lost.some((id) => entry.includes(id));
  return { ...list, shims: list.shims.filter(mine), cgroups: list.cgroups.filter(mine) };
}

/** Kills the shims of the lost bundles and the container init each holds (the test's own, by ID and address). */
export async function killLostShims(address: string, lost: readonly string[]): Promise<void> {
  for (const entry of await shimsOf(address)) {
    const [pid, id] = entry.split(' ');
    if (!id || !lost.includes(id)) continue;
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean);
    for (const child of children) process.kill(Number(child), 'SIGKILL');
    process.kill(Number(pid), 'SIGKILL');
  }
}
