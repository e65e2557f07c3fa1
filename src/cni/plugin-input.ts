// What one plugin reads on stdin: its entry of the network list with the
// list's `name` and `cniVersion` injected, `prevResult` for chained calls and
// `runtimeConfig` restricted to the capabilities the plugin declares (the CNI
// "capabilities" convention, as libcni's injectRuntimeConfig does).
import type { CniPluginConfig } from './network-config.js';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

/** Rates in bits per second, bursts in bits (the bandwidth plugin's units). */
export interface BandwidthLimits {
  ingressRate?: number;
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

export interface DnsCapability {
  servers: string[];
  searches: string[];
  options: string[];
}

/** Capability arguments a runtime may hand plugins through `runtimeConfig`. */
export interface RuntimeCapabilityArgs {
  portMappings?: PortMapping[];
  bandwidth?: BandwidthLimits;
  dns?: DnsCapability;
  ips?: string[];
  cgroupPath?: string;
}

export const CAPABILITY_KEYS = ['portMappings', 'bandwidth', 'dns', 'ips', 'cgroupPath'] as const;

/** The runtimeConfig for one plugin: only keys it declares `true` in its `capabilities` map and the caller supplied. */
export function runtimeConfigFor(plugin: CniPluginConfig, args: RuntimeCapabilityArgs): Record<string, unknown> {
  const declared = plugin.capabilities;
  const runtimeConfig: Record<string, unknown> = {};
  if (typeof declared !== 'object' || declared === null || Array.isArray(declared)) return runtimeConfig;
  const capabilities = declared as Record<string, unknown>;
  for (const key of CAPABILITY_KEYS) {
    if (capabilities[key] === true && args[key] !== undefined) runtimeConfig[key] = args[key];
  }
  return runtimeConfig;
}

export interface PluginInputOptions {
  /** The network list's name and cniVersion, which every plugin must see. */
  networkName: string;
  cniVersion: string;
  prevResult?: Record<string, unknown>;
  capabilityArgs?: RuntimeCapabilityArgs;
  /** Extra top-level keys (e.g. GC's "cni.dev/valid-attachments"). */
  extra?: Record<string, unknown>;
}

/** The JSON document written to the plugin's stdin. The plugin entry itself is not modified. */
export function pluginInput(plugin: CniPluginConfig, options: PluginInputOptions): Record<string, unknown> {
  const input: Record<string, unknown> = { ...plugin, name: options.networkName, cniVersion: options.cniVersion };
  if (options.prevResult !== undefined) input.prevResult = options.prevResult;
  const runtimeConfig = runtimeConfigFor(plugin, options.capabilityArgs ?? {});
  if (Object.keys(runtimeConfig).length > 0) input.runtimeConfig = runtimeConfig;
  if (options.extra) Object.assign(input, options.extra);
  return input;
}
