import { readFile } from 'node:fs/promises';
import { parse, TomlError } from 'smol-toml';
import type { LogFormat } from '../log.js';
import { parseListenAddress } from '../metrics/listen-address.js';
import { ConfigError, TableReader, type TomlTable } from './table-reader.js';

export const DEFAULT_CONFIG_PATH = '/etc/cri-ts/config.toml';

export type CgroupDriver = 'cgroupfs' | 'systemd';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface RuntimeHandlerConfig {
  /** containerd shim, e.g. io.containerd.runc.v2 */
  runtimeType: string;
  /** Passed to the shim as its options (BinaryName, SystemdCgroup, Root, ...). */
  options: TomlTable;
  /** Per-handler snapshotter; empty means containerd.snapshotter. */
  snapshotter: string;
  /** Privileged pods may run on this handler without its own devices. */
  privilegedWithoutHostDevices: boolean;
}

export interface ManagedContainerdConfig {
  /** Start containerd ourselves when none answers at containerd.address. */
  enabled: boolean;
  binary: string;
  address: string;
  root: string;
  state: string;
  logLevel: string;
}

export interface ContainerdConfig {
  address: string;
  namespace: string;
  /** Deadline of every unary containerd call. */
  callTimeoutMs: number;
  snapshotter: string;
  defaultRuntimeName: string;
  runtimes: Record<string, RuntimeHandlerConfig>;
  managed: ManagedContainerdConfig;
}

export interface CniConfig {
  binDirs: string[];
  confDir: string;
  maxConfNum: number;
  confTemplate: string;
  /** How long one plugin call may run before it is killed (its process group with it). */
  pluginTimeoutMs: number;
}

export interface MetricsConfig {
  /** HOST:PORT of the Prometheus /metrics endpoint; '' serves none. */
  address: string;
}

export interface RegistryMirror {
  endpoints: string[];
}

export interface RegistryConfig {
  /** Directory of containerd-style hosts.toml files (HOST/hosts.toml). */
  configPath: string;
  mirrors: Record<string, RegistryMirror>;
}

/** NRI (Node Resource Interface): plugins that see, and may adjust, each pod and container step. */
export interface NriConfig {
  /** Off by default, as in containerd 1.x: no socket, no plugins. */
  enable: boolean;
  /** Where external plugins connect. */
  socketPath: string;
  /** Plugins cri-ts starts itself, named IDX-NAME (e.g. 10-logger). */
  pluginPath: string;
  /** Their configuration: IDX-NAME.conf or NAME.conf. */
  pluginConfigPath: string;
  pluginRegistrationTimeoutMs: number;
  pluginRequestTimeoutMs: number;
  /** Accept no external plugin connections (only the ones under plugin_path run). */
  disableConnections: boolean;
}

/** "auto" turns the clamp on when the process lacks CAP_SYS_RESOURCE. */
export type RestrictOomScoreAdj = boolean | 'auto';

export interface CriTsConfig {
  root: string;
  state: string;
  grpcAddress: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  sandboxImage: string;
  cgroupDriver: CgroupDriver;
  streamServerAddress: string;
  streamServerPort: number;
  streamIdleTimeoutMs: number;
  enableTlsStreaming: boolean;
  /** [x509_key_pair_streaming]: the streaming server's certificate and key (PEM); both empty: self-signed at start. */
  streamTlsCertFile: string;
  streamTlsKeyFile: string;
  maxContainerLogLineSize: number;
  /** Give an image's VOLUMEs no directories of their own (containerd's ignore_image_defined_volumes). */
  ignoreImageDefinedVolumes: boolean;
  restrictOomScoreAdj: RestrictOomScoreAdj;
  enableUnprivilegedPorts: boolean;
  enableUnprivilegedIcmp: boolean;
  imagePullProgressTimeoutMs: number;
  maxConcurrentDownloads: number;
  statsCollectPeriodMs: number;
  containerd: ContainerdConfig;
  cni: CniConfig;
  registry: RegistryConfig;
  metrics: MetricsConfig;
  nri: NriConfig;
}

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'text'];

function readRuntimeHandler(table: TableReader): RuntimeHandlerConfig {
  const handler: RuntimeHandlerConfig = {
    runtimeType: table.string('runtime_type', 'io.containerd.runc.v2'),
    options: table.freeTable('options'),
    snapshotter: table.string('snapshotter', ''),
    privilegedWithoutHostDevices: table.boolean('privileged_without_host_devices', false),
  };
  if (!/^[a-z0-9]+(\.[a-z0-9_-]+)+$/i.test(handler.runtimeType)) {
    table.fail('runtime_type', 'must be a containerd shim name such as "io.containerd.runc.v2"', handler.runtimeType);
  }
  table.rejectUnknownKeys();
  return handler;
}

function readContainerd(table: TableReader): ContainerdConfig {
  const address = table.absolutePath('address', '/run/containerd/containerd.sock');
  const namespace = table.string('namespace', 'k8s.io');
  if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(namespace)) {
    table.fail('namespace', 'must be a containerd namespace: letters, digits, ".", "_" and "-"', namespace);
  }
  const callTimeoutMs = table.duration('timeout', 30_000, 100);
  const snapshotter = table.string('snapshotter', 'overlayfs');
  const defaultRuntimeName = table.string('default_runtime_name', 'runc');

  const runtimes: Record<string, RuntimeHandlerConfig> = {};
  for (const [name, runtime] of table.namedTables('runtimes')) runtimes[name] = readRuntimeHandler(runtime);
  if (Object.keys(runtimes).length === 0) {
    runtimes.runc = { runtimeType: 'io.containerd.runc.v2', options: {}, snapshotter: '', privilegedWithoutHostDevices: false };
  }
  if (!runtimes[defaultRuntimeName]) {
    table.fail(
      'default_runtime_name',
      `must name a runtime defined under [containerd.runtimes] (defined: ${Object.keys(runtimes).join(', ')})`,
      defaultRuntimeName,
    );
  }

  const managedTable = table.table_('managed');
  const managed: ManagedContainerdConfig = {
    enabled: managedTable.boolean('enabled', true),
    binary: managedTable.string('binary', 'containerd'),
    address: managedTable.absolutePath('address', '/run/cri-ts/containerd/containerd.sock'),
    root: managedTable.absolutePath('root', '/var/lib/cri-ts/containerd'),
    state: managedTable.absolutePath('state', '/run/cri-ts/containerd'),
    logLevel: managedTable.string('log_level', 'warn', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'panic']),
  };
  managedTable.rejectUnknownKeys();
  table.rejectUnknownKeys();
  return { address, namespace, callTimeoutMs, snapshotter, defaultRuntimeName, runtimes, managed };
}

function readCni(table: TableReader): CniConfig {
  const cni: CniConfig = {
    binDirs: table.stringArray('bin_dirs', ['/opt/cni/bin', '/usr/lib/cni']),
    confDir: table.absolutePath('conf_dir', '/etc/cni/net.d'),
    maxConfNum: table.integer('max_conf_num', 1, 0, 1000),
    confTemplate: table.absolutePath('conf_template', '', { emptyAllowed: true }),
    pluginTimeoutMs: table.duration('plugin_timeout', 60_000, 100),
  };
  for (const dir of cni.binDirs) {
    if (!dir.startsWith('/')) table.fail('bin_dirs', 'must hold absolute paths', dir);
  }
  table.rejectUnknownKeys();
  return cni;
}

function readRegistry(table: TableReader): RegistryConfig {
  const configPath = table.absolutePath('config_path', '', { emptyAllowed: true });
  const mirrors: Record<string, RegistryMirror> = {};
  for (const [host, mirror] of table.namedTables('mirrors')) {
    const endpoints = mirror.stringArray('endpoint', []);
    for (const endpoint of endpoints) {
      if (!/^https?:\/\/[^/]+/.test(endpoint)) mirror.fail('endpoint', 'must hold URLs such as "https://mirror.example:5000"', endpoint);
    }
    mirror.rejectUnknownKeys();
    mirrors[host] = { endpoints };
  }
  table.rejectUnknownKeys();
  return { configPath, mirrors };
}

function readMetrics(table: TableReader): MetricsConfig {
  const address = table.string('address', '');
  if (address !== '' && !parseListenAddress(address)) {
    table.fail('address', 'must be HOST:PORT such as "127.0.0.1:1338" (an IPv6 host in brackets), or "" for no metrics endpoint', address);
  }
  table.rejectUnknownKeys();
  return { address };
}

function readNri(table: TableReader): NriConfig {
  const nri: NriConfig = {
    enable: table.boolean('enable', false),
    socketPath: table.absolutePath('socket_path', '/var/run/nri/nri.sock'),
    pluginPath: table.absolutePath('plugin_path', '/opt/nri/plugins'),
    pluginConfigPath: table.absolutePath('plugin_config_path', '/etc/nri/conf.d'),
    pluginRegistrationTimeoutMs: table.duration('plugin_registration_timeout', 5000, 10),
    pluginRequestTimeoutMs: table.duration('plugin_request_timeout', 2000, 10),
    disableConnections: table.boolean('disable_connections', false),
  };
  table.rejectUnknownKeys();
  return nri;
}

/** containerd's [x509_key_pair_streaming]: a certificate and its key go together. */
function readStreamingKeyPair(table: TableReader): { streamTlsCertFile: string; streamTlsKeyFile: string } {
  const streamTlsCertFile = table.absolutePath('tls_cert_file', '', { emptyAllowed: true });
  const streamTlsKeyFile = table.absolutePath('tls_key_file', '', { emptyAllowed: true });
  if ((streamTlsCertFile === '') !== (streamTlsKeyFile === '')) {
    table.fail(streamTlsCertFile === '' ? 'tls_cert_file' : 'tls_key_file', 'must be set together with its pair (or neither, for a self-signed certificate)');
  }
  table.rejectUnknownKeys();
  return { streamTlsCertFile, streamTlsKeyFile };
}

/** Builds the effective configuration from a parsed TOML document. */
export function configFromToml(doc: TomlTable): CriTsConfig {
  const top = TableReader.root(doc);
  top.integer('version', 1, 1, 1);
  const grpc = top.table_('grpc');
  const grpcAddress = grpc.absolutePath('address', '/run/cri-ts/cri-ts.sock');
  grpc.rejectUnknownKeys();

  const config: CriTsConfig = {
    root: top.absolutePath('root', '/var/lib/cri-ts'),
    state: top.absolutePath('state', '/run/cri-ts'),
    grpcAddress,
    logLevel: top.string('log_level', 'info', LOG_LEVELS) as LogLevel,
    logFormat: top.string('log_format', 'auto', LOG_FORMATS) as LogFormat,
    sandboxImage: top.string('sandbox_image', 'registry.k8s.io/pause:3.10'),
    cgroupDriver: top.string('cgroup_driver', 'cgroupfs', ['cgroupfs', 'systemd']) as CgroupDriver,
    streamServerAddress: top.string('stream_server_address', '127.0.0.1'),
    streamServerPort: top.integer('stream_server_port', 0, 0, 65535),
    streamIdleTimeoutMs: top.duration('stream_idle_timeout', 4 * 3_600_000),
    enableTlsStreaming: top.boolean('enable_tls_streaming', false),
    ...readStreamingKeyPair(top.table_('x509_key_pair_streaming')),
    maxContainerLogLineSize: top.integer('max_container_log_line_size', 16 * 1024, -1),
    ignoreImageDefinedVolumes: top.boolean('ignore_image_defined_volumes', false),
    restrictOomScoreAdj: top.booleanOrWord('restrict_oom_score_adj', 'auto', ['auto'] as const),
    enableUnprivilegedPorts: top.boolean('enable_unprivileged_ports', true),
    enableUnprivilegedIcmp: top.boolean('enable_unprivileged_icmp', true),
    imagePullProgressTimeoutMs: top.duration('image_pull_progress_timeout', 5 * 60_000),
    maxConcurrentDownloads: top.integer('max_concurrent_downloads', 3, 1, 64),
    statsCollectPeriodMs: top.duration('stats_collect_period', 10_000, 100),
    containerd: readContainerd(top.table_('containerd')),
    cni: readCni(top.table_('cni')),
    registry: readRegistry(top.table_('registry')),
    metrics: readMetrics(top.table_('metrics')),
    nri: readNri(top.table_('nri')),
  };
  if (config.sandboxImage.trim() === '') top.fail('sandbox_image', 'must name an image such as "registry.k8s.io/pause:3.10"');
  top.rejectUnknownKeys();
  return config;
}

export function parseConfigText(text: string, source: string): CriTsConfig {
  let doc: TomlTable;
  try {
    doc = parse(text) as TomlTable;
  } catch (err) {
    const detail = err instanceof TomlError ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`${source}: not valid TOML: ${detail}`);
  }
  try {
    return configFromToml(doc);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${source}: ${err.message}`);
    throw err;
  }
}

/**
 * Reads the config file. A missing file at the default path means "all
 * defaults"; a missing file the operator named explicitly is an error.
 */
export async function loadConfig(path: string | undefined): Promise<CriTsConfig> {
  const effectivePath = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = await readFile(effectivePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && path === undefined) return configFromToml({});
    throw new ConfigError(`cannot read config file ${effectivePath}: ${(err as Error).message}`);
  }
  return parseConfigText(text, effectivePath);
}

export { ConfigError };
