// The CNI operations on a network config list (libcni's *NetworkList):
// ADD runs the plugins in order, each seeing the previous result as
// prevResult; DEL runs them in reverse with the cached result; CHECK in order
// with the cached result; STATUS and GC exist from spec 1.1.0 on.
import { CriError } from '../errors.js';
import { CNI_VERSION_CHECK, CNI_VERSION_STATUS_GC, cniVersionAtLeast } from './cni-version.js';
import { CniResultError, parseCniResult, type CniResult } from './cni-result.js';
import type { CniNetworkConfig, CniPluginConfig } from './network-config.js';
import { pluginInput, type RuntimeCapabilityArgs } from './plugin-input.js';
import { runPlugin, type CniArgs, type CniCommand, type PluginRunOptions } from './plugin-exec.js';

/** One attachment of a container to a network: CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS and capability args. */
export interface AttachmentRuntime {
  containerId: string;
  netns: string;
  ifName: string;
  cniArgs: CniArgs;
  capabilityArgs: RuntimeCapabilityArgs;
}

export interface AddResult {
  /** The final plugin's result as printed; cached and handed back as prevResult on DEL/CHECK. */
  raw: Record<string, unknown>;
  result: CniResult;
}

async function runOne(
  command: CniCommand,
  network: CniNetworkConfig,
  plugin: CniPluginConfig,
  rt: AttachmentRuntime,
  prevResult: Record<string, unknown> | undefined,
  options: PluginRunOptions,
): Promise<Record<string, unknown> | undefined> {
  const input = pluginInput(plugin, {
    networkName: network.name,
    cniVersion: network.cniVersion,
    capabilityArgs: rt.capabilityArgs,
    ...(prevResult !== undefined ? { prevResult } : {}),
  });
  return runPlugin(
    {
      command,
      network: network.name,
      pluginType: plugin.type,
      input,
      containerId: rt.containerId,
      netns: rt.netns,
      ifName: rt.ifName,
      cniArgs: rt.cniArgs,
    },
    options,
  );
}

export async function addNetworkList(network: CniNetworkConfig, rt: AttachmentRuntime, options: PluginRunOptions): Promise<AddResult> {
  let prev: Record<string, unknown> | undefined;
  let lastType = '';
  for (const plugin of network.plugins) {
    const out = await runOne('ADD', network, plugin, rt, prev, options);
    if (out === undefined) {
      throw new CriError('Internal', `CNI plugin "${plugin.type}" of network "${network.name}" printed no result on ADD, as the CNI spec requires`);
    }
    prev = out;
    lastType = plugin.type;
  }
  if (prev === undefined) throw new CriError('Internal', `network "${network.name}" has no plugins`);
  try {
    return { raw: prev, result: parseCniResult(prev) };
  } catch (err) {
    if (err instanceof CniResultError) {
      throw new CriError('Internal', `CNI plugin "${lastType}" of network "${network.name}" returned an invalid result: ${err.message}`);
    }
    throw err;
  }
}

/**
 * DEL in reverse order. `cachedResult` is passed as prevResult from 0.4.0 on
 * (earlier versions never received one). By default DEL stops at the first
 * failure, as libcni does; with `continueOnError` every plugin still gets its
 * DEL (DEL must be idempotent, so nothing is lost) and the first failure is
 * thrown at the end, which suits cleanups that will not be retried.
 */
export async function delNetworkList(
  network: CniNetworkConfig,
  rt: AttachmentRuntime,
  cachedResult: Record<string, unknown> | undefined,
  options: PluginRunOptions,
  behaviour: { continueOnError?: boolean } = {},
): Promise<void> {
  const prev = cniVersionAtLeast(network.cniVersion, CNI_VERSION_CHECK) ? cachedResult : undefined;
  const failures: unknown[] = [];
  for (const plugin of [...network.plugins].reverse()) {
    try {
      await runOne('DEL', network, plugin, rt, prev, options);
    } catch (err) {
      if (!behaviour.continueOnError) throw err;
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
    throw new CriError(failures[0] instanceof CriError ? failures[0].kind : 'Internal', messages.join('; '), { cause: failures[0] });
  }
}

/** Whether CHECK applies to this list: spec 0.4.0 or later and not disableCheck. */
export function checkSupported(network: CniNetworkConfig): boolean {
  return !network.disableCheck && cniVersionAtLeast(network.cniVersion, CNI_VERSION_CHECK);
}

/** CHECK in order with the cached result; a no-op (returns false) where CHECK does not apply. */
export async function checkNetworkList(
  network: CniNetworkConfig,
  rt: AttachmentRuntime,
  cachedResult: Record<string, unknown>,
  options: PluginRunOptions,
): Promise<boolean> {
  if (!checkSupported(network)) return false;
  for (const plugin of network.plugins) {
    await runOne('CHECK', network, plugin, rt, cachedResult, options);
  }
  return true;
}

/** STATUS on each plugin (spec >= 1.1.0; otherwise a no-op returning false). Throws when a plugin is not ready. */
export async function statusNetworkList(network: CniNetworkConfig, options: PluginRunOptions): Promise<boolean> {
  if (!cniVersionAtLeast(network.cniVersion, CNI_VERSION_STATUS_GC)) return false;
  for (const plugin of network.plugins) {
    const input = pluginInput(plugin, { networkName: network.name, cniVersion: network.cniVersion });
    await runPlugin({ command: 'STATUS', network: network.name, pluginType: plugin.type, input }, options);
  }
  return true;
}

export interface ValidAttachment {
  containerID: string;
  ifname: string;
}

/**
 * GC on each plugin (spec >= 1.1.0; otherwise a no-op returning false): plugins
 * release whatever belongs to attachments not in `valid`.
 */
export async function gcNetworkList(network: CniNetworkConfig, valid: ValidAttachment[], options: PluginRunOptions): Promise<boolean> {
  if (!cniVersionAtLeast(network.cniVersion, CNI_VERSION_STATUS_GC)) return false;
  for (const plugin of network.plugins) {
    const input = pluginInput(plugin, {
      networkName: network.name,
      cniVersion: network.cniVersion,
      extra: { 'cni.dev/valid-attachments': valid },
    });
    await runPlugin({ command: 'GC', network: network.name, pluginType: plugin.type, input }, options);
  }
  return true;
}
