import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_CAPABILITIES } from './default-spec.js';
import type { OciSpec } from './oci-types.js';

/**
 * Linux capability names by bit number (linux/capability.h), up to
 * CAP_CHECKPOINT_RESTORE (40), the last one runc 1.1 knows.
 */
export const LINUX_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** The capabilities the running kernel has: names 0..cap_last_cap (at most those runc knows). */
export function kernelCapabilities(capLastCap: string = readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')): string[] {
  const last = Number.parseInt(capLastCap.trim(), 10);
  if (!Number.isInteger(last) || last < 0) return [...LINUX_CAPABILITIES];
  return LINUX_CAPABILITIES.slice(0, last + 1);
}

/**
 * The capabilities cri-ts itself holds (CapEff of /proc/self/status), as
 * names. This is what "ALL" and privileged mean, as in containerd (its
 * cap.Current()): runc cannot give a container a capability its caller lacks
 * (capset fails with EPERM), e.g. CAP_SYS_RESOURCE when the node itself runs
 * in a container without it.
 */
export function currentCapabilities(statusText?: string): string[] {
  let text = statusText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return kernelCapabilities();
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('CapEff:'));
  if (!line) return [];
  const mask = BigInt(`0x${line.slice('CapEff:'.length).trim()}`);
  return LINUX_CAPABILITIES.filter((_, bit) => (mask & (1n << BigInt(bit))) !== 0n);
}

let cachedCurrent: string[] | undefined;
function cachedCurrentCapabilities(): string[] {
  cachedCurrent ??= currentCapabilities();
  return cachedCurrent;
}

/**
 * "NET_ADMIN", "net_admin" or "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; anything
 * that is not a Linux capability is an InvalidArgument naming `field`.
 */
export function normalizeCapability(name: string, field: string): string {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!LINUX_CAPABILITIES.includes(full)) {
    throw new InvalidArgumentError(`${field}: unknown capability "${name}"; use a Linux capability name without the CAP_ prefix, e.g. "NET_ADMIN", or "ALL"`);
  }
  return full;
}

export interface CapabilityChanges {
  add: readonly string[];
  drop: readonly string[];
}

const ADD_FIELD = 'linux.security_context.capabilities.add_capabilities';
const DROP_FIELD = 'linux.security_context.capabilities.drop_capabilities';

/**
 * The container's capability set: the defaults, or all of `available` when
 * "ALL" is added, or none when "ALL" is dropped; then the named additions,
 * then the named drops (so add ALL + drop CHOWN is everything but CHOWN, and
 * drop ALL + add NET_RAW is just NET_RAW). Privileged is all of `available`.
 */
export function resolveCapabilities(changes: CapabilityChanges, privileged: boolean, available: readonly string[] = cachedCurrentCapabilities()): string[] {
  const isAll = (c: string): boolean => c.trim().toUpperCase() === 'ALL';
  // Validate even when privileged overrides them: a typo should not pass silently.
  const named = (list: readonly string[], field: string): string[] =>
    list.flatMap((c, i) => (isAll(c) ? [] : [normalizeCapability(c, `${field}[${i}]`)]));
  const added = named(changes.add, ADD_FIELD);
  const dropped = named(changes.drop, DROP_FIELD);
  const ordered = (set: Set<string>): string[] => LINUX_CAPABILITIES.filter((c) => set.has(c));
  if (privileged) return ordered(new Set(available));

  const availableSet = new Set(available);
  // The defaults cri-ts cannot hand on are left out rather than failing every container.
  let caps = new Set(DEFAULT_CAPABILITIES.filter((c) => availableSet.has(c)));
  if (changes.add.some(isAll)) caps = new Set(available);
  if (changes.drop.some(isAll)) caps = new Set();
  for (const cap of added) {
    if (!availableSet.has(cap)) {
      throw new InvalidArgumentError(
        `${ADD_FIELD}: capability ${cap.slice(4)} cannot be granted: cri-ts (and so runc) does not hold ${cap} on this node, so the container could not start; remove it from add_capabilities`,
      );
    }
    caps.add(cap);
  }
  for (const cap of dropped) caps.delete(cap);
  return ordered(caps);
}

/**
 * Sets the bounding, effective and permitted sets (as containerd's CRI
 * plugin does); inheritable and ambient stay empty, as containerd clears
 * ambient capabilities for CRI containers (kubernetes/kubernetes#56374).
 */
export function withCapabilities(spec: OciSpec, changes: CapabilityChanges, privileged: boolean, available?: readonly string[]): void {
  const caps = resolveCapabilities(changes, privileged, available);
  const process = spec.process;
  if (!process) return;
  process.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
}
