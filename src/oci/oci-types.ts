/** The parts of the OCI runtime spec (v1.0.2, as runc 1.1 reads it, and mounts' idmaps of v1.1) that cri-ts writes. */
export interface OciSpec {
  ociVersion: string;
  process?: OciProcess;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  mounts?: OciMount[];
  annotations?: Record<string, string>;
  hooks?: OciHooks;
  linux?: OciLinux;
}

export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

/** Programs the runtime runs around the container's life (NRI plugins may add them). */
export interface OciHooks {
  prestart?: OciHook[];
  createRuntime?: OciHook[];
  createContainer?: OciHook[];
  startContainer?: OciHook[];
  poststart?: OciHook[];
  poststop?: OciHook[];
}

export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: { bounding?: string[]; effective?: string[]; inheritable?: string[]; permitted?: string[]; ambient?: string[] };
  rlimits?: Array<{ type: string; hard: number; soft: number }>;
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
  /** Newer runtimes (runc 1.2+) only; runc 1.1 ignores it. */
  ioPriority?: { class: string; priority: number };
  /** Newer runtimes (runc 1.2+) only. */
  scheduler?: { policy: string; nice?: number; priority?: number; flags?: string[]; runtime?: number; deadline?: number; period?: number };
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  /** An idmapped bind mount's mappings (runtime-spec 1.1; runc 1.2 and later). */
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
}

/** A user namespace or idmapped mount's range: `size` IDs from containerID inside map to hostID outside. */
export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

export interface OciLinuxDevice {
  type: string;
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciResources {
  devices?: OciDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; kernel?: number; kernelTCP?: number; swappiness?: number; disableOOMKiller?: boolean; useHierarchy?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  hugepageLimits?: Array<{ pageSize: string; limit: number }>;
  unified?: Record<string, string>;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: Array<{ names: string[]; action: string; errnoRet?: number; args?: Array<{ index: number; value: number; valueTwo?: number; op: string }> }>;
}

export interface OciLinux {
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  sysctl?: Record<string, string>;
  resources?: OciResources;
  cgroupsPath?: string;
  namespaces?: Array<{ type: OciNamespaceType; path?: string }>;
  devices?: OciLinuxDevice[];
  seccomp?: OciSeccomp;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  intelRdt?: { closID?: string; schemata?: string[]; enableMonitoring?: boolean };
  /** Newer runtimes only. */
  memoryPolicy?: { mode: string; nodes: string; flags?: string[] };
  /** Newer runtimes only (runc 1.3+): host interfaces moved into the container. */
  netDevices?: Record<string, { name?: string }>;
}
