import { access, readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { ownedCopy, unescapeMountinfo } from './mountinfo.js';

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** One cgroup v1 hierarchy: where it is mounted and which cgroup is that mount's root. */
export interface V1Mount {
  mountPoint: string;
  root: string;
}

export type V1Controller = 'cpu' | 'cpuacct' | 'memory' | 'pids' | 'blkio';

const V1_CONTROLLERS: readonly V1Controller[] = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'];

// Enough for every pod and container of a busy node; past it the cache starts over.
const DIRS_CACHE_SIZE = 4096;

/** The directories holding one cgroup's files; a v1 controller that is not mounted is absent. */
export type CgroupDirs = { version: 2; unified: string } | { version: 1; dirs: Partial<Record<V1Controller, string>> };

export interface DetectOptions {
  /** Where the hierarchies live; a fake tree in tests. */
  root?: string;
  /** v1 mount table; defaults to /proc/self/mountinfo. */
  mountinfoPath?: string;
}

export class CgroupLayout {
  private constructor(
    readonly version: 1 | 2,
    private readonly unifiedRoot: string,
    private readonly v1Mounts: ReadonlyMap<string, V1Mount>,
    /** Hybrid mode: the unified hierarchy mounted beside the v1 ones (runc makes a cgroup there too). */
    private readonly hybridUnified?: V1Mount,
  ) {}

  static v2(root: string): CgroupLayout {
    return new CgroupLayout(2, root, new Map());
  }

  static v1(mounts: ReadonlyMap<string, V1Mount>, hybridUnified?: V1Mount): CgroupLayout {
    return new CgroupLayout(1, '', mounts, hybridUnified);
  }

  /** cgroup.controllers only exists at the root of a unified (v2) hierarchy. */
  static async detect(options: DetectOptions = {}): Promise<CgroupLayout> {
    const root = options.root ?? DEFAULT_CGROUP_ROOT;
    const unified = await access(posix.join(root, 'cgroup.controllers')).then(() => true, () => false);
    if (unified) return CgroupLayout.v2(root);
    const mountinfo = await readFile(options.mountinfoPath ?? '/proc/self/mountinfo', 'utf8');
    return CgroupLayout.v1(parseV1Mounts(mountinfo, root), parseHybridUnifiedMount(mountinfo, root));
  }

  // Stats ask for the same few hundred cgroups on every call.
  private readonly dirsCache = new Map<string, CgroupDirs>();

  /** The directories to read for an OCI linux.cgroupsPath (cgroupfs or systemd form). */
  dirsFor(cgroupsPath: string): CgroupDirs {
    let dirs = this.dirsCache.get(cgroupsPath);
    if (!dirs) {
      if (this.dirsCache.size >= DIRS_CACHE_SIZE) this.dirsCache.clear();
      dirs = this.resolveDirs(cgroupsPath);
      this.dirsCache.set(cgroupsPath, dirs);
    }
    return dirs;
  }

  /** The cgroup's directory in every hierarchy (v1: each mounted one, named ones included), for removing it. */
  everyDirOf(cgroupsPath: string): string[] {
    const path = cgroupsPathToPath(cgroupsPath);
    if (this.version === 2) return [posix.join(this.unifiedRoot, path)];
    const mounts = new Map([...this.v1Mounts.values(), ...(this.hybridUnified ? [this.hybridUnified] : [])].map((mount) => [mount.mountPoint, mount]));
    return [...mounts.values()].map((mount) => posix.join(mount.mountPoint, stripMountRoot(path, mount.root)));
  }

  private resolveDirs(cgroupsPath: string): CgroupDirs {
    const path = cgroupsPathToPath(cgroupsPath);
    if (this.version === 2) return { version: 2, unified: posix.join(this.unifiedRoot, path) };
    const dirs: Partial<Record<V1Controller, string>> = {};
    for (const controller of V1_CONTROLLERS) {
      const mount = this.v1Mounts.get(controller);
      if (mount) dirs[controller] = posix.join(mount.mountPoint, stripMountRoot(path, mount.root));
    }
    return { version: 1, dirs };
  }
}

let hostLayout: Promise<CgroupLayout> | undefined;

/** The host's layout, detected once per process. */
export function hostCgroupLayout(): Promise<CgroupLayout> {
  hostLayout ??= CgroupLayout.detect();
  return hostLayout;
}

/**
 * An absolute cgroup path relative to the hierarchy root. Normalizing from "/" keeps
 * ".." from climbing out of the hierarchy. A relative cgroupfs path (runc resolves it
 * against its own cgroup) is taken as rooted: kubelet never sends one.
 */
export function cgroupsPathToPath(cgroupsPath: string): string {
  const systemd = isSystemdCgroupsPath(cgroupsPath) ? expandSystemdCgroupsPath(cgroupsPath) : cgroupsPath;
  return posix.normalize(`/${systemd}`);
}

/** systemd-driver paths are "slice:prefix:name" and never start with "/". */
export function isSystemdCgroupsPath(cgroupsPath: string): boolean {
  return !cgroupsPath.startsWith('/') && cgroupsPath.split(':').length === 3;
}

/** "slice:prefix:name" -> "/a.slice/a-b.slice/prefix-name.scope", as runc's systemd driver names it. */
export function expandSystemdCgroupsPath(cgroupsPath: string): string {
  const parts = cgroupsPath.split(':');
  if (parts.length !== 3) throw new Error(`cgroupsPath ${JSON.stringify(cgroupsPath)} is not "slice:prefix:name"`);
  const [slice, prefix, name] = parts as [string, string, string];
  const unit = name.endsWith('.slice') ? name : `${prefix}-${name}.scope`;
  return posix.join(expandSlice(slice === '' ? 'system.slice' : slice), unit);
}

/** "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root slice. */
export function expandSlice(slice: string): string {
  const suffix = '.slice';
  if (!slice.endsWith(suffix) || slice.length === suffix.length || slice.includes('/')) {
    throw new Error(`invalid systemd slice name ${JSON.stringify(slice)}`);
  }
  const base = slice.slice(0, -suffix.length);
  if (base === '-') return '/';
  let path = '';
  let prefix = '';
  for (const component of base.split('-')) {
    if (component === '') throw new Error(`invalid systemd slice name ${JSON.stringify(slice)}`);
    path += `/${prefix}${component}${suffix}`;
    prefix += `${component}-`;
  }
  return path;
}

/**
 * Controller name -> v1 mount, from mountinfo. A controller can be mounted more than
 * once (e.g. inside container rootfs); mounts under `root` win, else the first one.
 */
export function parseV1Mounts(mountinfo: string, root = DEFAULT_CGROUP_ROOT): Map<string, V1Mount> {
  const mounts = new Map<string, V1Mount>();
  const underRoot = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 0 || fields[separator + 1] !== 'cgroup') continue;
    const mount = { root: ownedCopy(unescapeMountinfo(fields[3] ?? '/')), mountPoint: ownedCopy(unescapeMountinfo(fields[4] ?? '')) };
    const inRoot = isWithin(mount.mountPoint, root);
    // Super options name the controllers ("rw,cpu,cpuacct"); extra options are harmless keys.
    for (const option of (fields[separator + 3] ?? '').split(',')) {
      if (mounts.has(option) && (underRoot.has(option) || !inRoot)) continue;
      mounts.set(ownedCopy(option), mount);
      if (inRoot) underRoot.add(option);
    }
  }
  return mounts;
}

/** The cgroup2 mount under `root` beside v1 hierarchies (systemd's hybrid mode), if there is one. */
export function parseHybridUnifiedMount(mountinfo: string, root = DEFAULT_CGROUP_ROOT): V1Mount | undefined {
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 0 || fields[separator + 1] !== 'cgroup2') continue;
    const mount = { root: ownedCopy(unescapeMountinfo(fields[3] ?? '/')), mountPoint: ownedCopy(unescapeMountinfo(fields[4] ?? '')) };
    if (isWithin(mount.mountPoint, root)) return mount;
  }
  return undefined;
}

function isWithin(path: string, dir: string): boolean {
  const rel = posix.relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel));
}

/** Inside a non-namespaced container the mount's root is a sub-cgroup; paths under it are relative to it. */
function stripMountRoot(path: string, mountRoot: string): string {
  if (mountRoot === '/' || !isWithin(path, mountRoot)) return path;
  return `/${posix.relative(mountRoot, path)}`;
}
