import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname as nodeHostname } from 'node:os';
import { join } from 'node:path';
import { MountFlag, mountFromHelper, runCommandOrThrow } from '../host/command-runner.js';
import { isMountPoint } from '../host/mount-table.js';
import type { DNSConfig__Output } from '../generated/cri/runtime/v1/DNSConfig.js';
import type { SandboxPaths } from './sandbox.js';

export function sandboxPaths(root: string, state: string, id: string): SandboxPaths {
  const dir = join(root, 'pods', id);
  return {
    dir,
    hostname: join(dir, 'hostname'),
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
    shm: join(state, 'pods', id, 'shm'),
  };
}

const DEFAULT_SHM_BYTES = 64 * 1024 * 1024;

/** resolv.conf from the pod's DNS config, or the node's when it gives none (as kubelet's ClusterFirst expects). */
export async function resolvConfText(dns: DNSConfig__Output | null): Promise<string> {
  if (!dns || (dns.servers.length === 0 && dns.searches.length === 0 && dns.options.length === 0)) {
    return readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  }
  const lines: string[] = [];
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(' ')}`);
  for (const server of dns.servers) lines.push(`nameserver ${server}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** /etc/hosts: the node's for host-network pods, else localhost entries (kubelet adds the pod's own). */
export async function hostsText(hostNetwork: boolean): Promise<string> {
  if (hostNetwork) return readFile('/etc/hosts', 'utf8').catch(() => '');
  return ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'fe00::0\tip6-mcastprefix', 'fe00::1\tip6-allnodes', 'fe00::2\tip6-allrouters', ''].join('\n');
}

export async function writeSandboxFiles(paths: SandboxPaths, options: { hostname: string; hostNetwork: boolean; dns: DNSConfig__Output | null }): Promise<void> {
  await mkdir(paths.dir, { recursive: true, mode: 0o755 });
  const hostname = options.hostNetwork ? nodeHostname() : options.hostname || nodeHostname();
  await writeFile(paths.hostname, `${hostname}\n`, { mode: 0o644 });
  await writeFile(paths.hosts, await hostsText(options.hostNetwork), { mode: 0o644 });
  await writeFile(paths.resolvConf, await resolvConfText(options.dns), { mode: 0o644 });
}

export async function removeSandboxFiles(paths: SandboxPaths): Promise<void> {
  await rm(paths.dir, { recursive: true, force: true });
}

/** Mounts the pod's shm tmpfs; `sizeBytes` follows the pod's memory when set, else 64 MiB. */
export async function mountShm(path: string, sizeBytes = DEFAULT_SHM_BYTES): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o755 });
  if (await isMountPoint(path)) return;
  const data = `mode=1777,size=${sizeBytes}`;
  if (await mountFromHelper({ source: 'shm', target: path, type: 'tmpfs', flags: MountFlag.nosuid | MountFlag.nodev | MountFlag.noexec, data })) return;
  await runCommandOrThrow('mount', ['-t', 'tmpfs', '-o', `nosuid,nodev,noexec,${data}`, 'shm', path]);
}

/** Unmounts and removes the shm tmpfs; idempotent. */
export async function unmountShm(path: string): Promise<void> {
  if (await isMountPoint(path)) await runCommandOrThrow('umount', [path]);
  await rm(join(path, '..'), { recursive: true, force: true });
}
