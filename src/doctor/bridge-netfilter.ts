import { type CheckResult, ok, warn } from './check.js';
import { readSysctl } from './host-probes.js';

const NAME = 'bridge netfilter';

/**
 * Traffic between pods on one bridge skips iptables unless br_netfilter is
 * loaded and on, so kube-proxy's service rules miss it. A warning: kube-proxy
 * in nftables or IPVS mode, or a CNI that does not bridge, does without.
 */
export async function checkBridgeNetfilter(procSys = '/proc/sys'): Promise<CheckResult> {
  const value = await readSysctl(procSys, 'net.bridge.bridge-nf-call-iptables');
  const fix = 'modprobe br_netfilter && sysctl -w net.bridge.bridge-nf-call-iptables=1 (persist in /etc/modules-load.d/ and /etc/sysctl.d/)';
  if (value === undefined) return warn(NAME, `${procSys}/net/bridge/bridge-nf-call-iptables does not exist: br_netfilter is not loaded, so bridged pod traffic skips iptables`, fix);
  if (value !== '1') return warn(NAME, `net.bridge.bridge-nf-call-iptables = ${value}: bridged pod traffic skips iptables (kube-proxy's service rules)`, fix);
  return ok(NAME, 'net.bridge.bridge-nf-call-iptables = 1');
}
