import type { PodSandboxConfig__Output } from '../generated/cri/runtime/v1/PodSandboxConfig.js';

/**
 * Sysctls of one network interface (`net.ipv4.conf.eth0.forwarding`,
 * `net/ipv6/neigh/eth0/...`); `all`, `default` and the namespace-wide ones
 * (`net.ipv4.ip_unprivileged_port_start`) exist in a new netns already.
 */
const INTERFACE_SYSCTL = /^net[./]ipv[46][./](conf|neigh)[./](?!all[./]|default[./])/;

/**
 * Whether the pause task must wait for CNI ADD. It normally need not (it only
 * joins the netns, which exists before either starts), but runc writes the
 * pod's sysctls as it starts, and one naming an interface CNI makes (eth0)
 * would fail if runc came first.
 */
export function pauseNeedsNetwork(config: Pick<PodSandboxConfig__Output, 'linux'>): boolean {
  return Object.keys(config.linux?.sysctls ?? {}).some((name) => INTERFACE_SYSCTL.test(name));
}
