import { InvalidArgumentError } from '../errors.js';
import type { OciSpec } from './oci-types.js';

const IPC_SYSCTLS = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];

/**
 * Only namespaced sysctls may be set for a pod: IPC ones unless it shares the
 * host's IPC namespace, network ones unless it shares the host's network.
 * Anything else would change the node, so it is refused.
 */
export function checkSysctl(name: string, host: { network: boolean; ipc: boolean }): void {
  const isIpc = IPC_SYSCTLS.includes(name) || name.startsWith('fs.mqueue.');
  const isNet = name.startsWith('net.');
  const where = `linux.sysctls["${name}"]`;
  if (isIpc && host.ipc) throw new InvalidArgumentError(`${where}: an IPC sysctl cannot be set for a pod in the host's IPC namespace`);
  if (isNet && host.network) throw new InvalidArgumentError(`${where}: a network sysctl cannot be set for a pod in the host's network namespace`);
  if (!isIpc && !isNet) throw new InvalidArgumentError(`${where}: not a namespaced sysctl, so it would change the whole node; only kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* and net.* may be set`);
}

export function withSysctls(spec: OciSpec, sysctls: Record<string, string>, host: { network: boolean; ipc: boolean }): void {
  const entries = Object.entries(sysctls);
  if (entries.length === 0) return;
  for (const [name] of entries) checkSysctl(name, host);
  const linux = (spec.linux ??= {});
  linux.sysctl = { ...(linux.sysctl ?? {}), ...sysctls };
}
