import { posix } from 'node:path';
import { nowNs, readOptionalText } from './files.js';

export interface InterfaceStats {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

export interface NetworkStats {
  timestampNs: bigint;
  /** Every interface but loopback, in file order. */
  interfaces: InterfaceStats[];
  defaultInterface?: InterfaceStats;
}

export const DEFAULT_INTERFACE = 'eth0';

/**
 * Counters of the network namespace `pid` lives in (/proc/<pid>/net/dev follows the
 * process's namespace). Undefined when the process is gone.
 */
export async function readNetworkStats(
  pid: number,
  ifName: string = DEFAULT_INTERFACE,
  options: { procRoot?: string } = {},
): Promise<NetworkStats | undefined> {
  const timestampNs = nowNs();
  const text = await readOptionalText(posix.join(options.procRoot ?? '/proc', String(pid), 'net', 'dev'));
  if (text === undefined) return undefined;
  const interfaces = parseNetDev(text);
  const defaultInterface = pickDefaultInterface(interfaces, ifName);
  return defaultInterface === undefined ? { timestampNs, interfaces } : { timestampNs, interfaces, defaultInterface };
}

/** The named interface (CNI's is eth0); failing that the first, since a pod's main link may be named otherwise. */
export function pickDefaultInterface(interfaces: InterfaceStats[], ifName: string = DEFAULT_INTERFACE): InterfaceStats | undefined {
  return interfaces.find((i) => i.name === ifName) ?? interfaces[0];
}

/**
 * /proc/net/dev: two header lines, then "name: 8 receive counters 8 transmit counters"
 * (bytes, packets, errs, drop, ... for each; tx starts at 8). Old kernels put no space after the colon.
 */
export function parseNetDev(text: string): InterfaceStats[] {
  const interfaces: InterfaceStats[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (name === '' || name === 'lo' || fields.length < 16 || fields.some((f) => !Number.isFinite(f))) continue;
    const [rxBytes = 0, rxPackets = 0, rxErrors = 0, rxDropped = 0, , , , , txBytes = 0, txPackets = 0, txErrors = 0, txDropped = 0] = fields;
    interfaces.push({ name, rxBytes, rxPackets, rxErrors, rxDropped, txBytes, txPackets, txErrors, txDropped });
  }
  return interfaces;
}
