import { type CheckResult, fail, ok } from './check.js';
import { readSysctl } from './host-probes.js';

const NAME = 'ip_forward';

/** Pods on a bridge reach anything beyond the node only through forwarding; kubeadm's preflight requires it too. */
export async function checkIpForward(procSys = '/proc/sys'): Promise<CheckResult> {
  const value = await readSysctl(procSys, 'net.ipv4.ip_forward');
  if (value === '1') return ok(NAME, 'net.ipv4.ip_forward = 1');
  return fail(
    NAME,
    value === undefined ? `${procSys}/net/ipv4/ip_forward does not exist` : `net.ipv4.ip_forward = ${value}: pods cannot reach other nodes or services`,
    'sysctl -w net.ipv4.ip_forward=1, and keep it across boots: echo net.ipv4.ip_forward=1 > /etc/sysctl.d/99-kubernetes.conf',
  );
}
