import { basename } from 'node:path';
import type { CniConfig } from '../config/config.js';
import { loadNetworkConfigs, type CniNetworkConfig } from '../cni/network-config.js';
import { findPluginBinary } from '../cni/plugin-exec.js';
import { errorMessage } from '../errors.js';
import { type CheckResult, fail, ok, warn } from './check.js';

const NAME = 'cni';

/** The binaries a network config runs: each plugin's type, and the IPAM plugin it delegates to. */
export function pluginBinaries(network: CniNetworkConfig): string[] {
  const names = network.plugins.flatMap((plugin) => {
    const ipam = plugin.ipam as { type?: unknown } | undefined;
    return typeof ipam?.type === 'string' && ipam.type !== '' ? [plugin.type, ipam.type] : [plugin.type];
  });
  return [...new Set(names)];
}

/** A network config in conf_dir, as cri-ts will load it, and every plugin it names found in bin_dirs. */
export async function checkCni(config: CniConfig): Promise<CheckResult> {
  let networks: CniNetworkConfig[];
  try {
    networks = await loadNetworkConfigs(config.confDir, config.maxConfNum);
  } catch (err) {
    if (config.confTemplate) {
      return warn(NAME, `${errorMessage(err)}; one is written from cni.conf_template when kubelet sends the pod CIDR`, 'nothing to do if kubelet gets a pod CIDR (podCIDR or --pod-cidr); the node stays NotReady until then');
    }
    return fail(NAME, `${errorMessage(err)}: pods get no network and kubelet keeps the node NotReady`, `install a network add-on (flannel, calico, cilium, ...) or put a .conflist (bridge + host-local + portmap) in ${config.confDir}`);
  }
  const found: string[] = [];
  const missing: string[] = [];
  await Promise.all(
    networks.flatMap((network) =>
      pluginBinaries(network).map(async (type) => {
        try {
          await findPluginBinary(type, config.binDirs, network.name);
          found.push(type);
        } catch {
          missing.push(`${type} (network "${network.name}")`);
        }
      }),
    ),
  );
  const files = networks.map((n) => `${basename(n.file)} (network "${n.name}")`).join(', ');
  if (missing.length > 0) {
    return fail(
      NAME,
      `${files}: plugin${missing.length > 1 ? 's' : ''} ${missing.sort().join(', ')} not found in ${config.binDirs.join(', ')}`,
      'install the CNI plugins (Debian: apt-get install containernetworking-plugins, into /usr/lib/cni) or add their directory to cni.bin_dirs',
    );
  }
  return ok(NAME, `${files}: ${[...new Set(found)].sort().join(', ')} found in ${config.binDirs.join(', ')}`);
}
