import { readFileSync } from 'node:fs';

// Bit numbers from linux/capability.h.
export const CAP_SYS_RESOURCE = 24;

/** Whether this process holds `capability` in its effective set. */
export function hasEffectiveCapability(capability: number, statusText = readFileSync('/proc/self/status', 'utf8')): boolean {
  const line = statusText.split('\n').find((l) => l.startsWith('CapEff:'));
  if (!line) return false;
  const mask = BigInt(`0x${line.slice('CapEff:'.length).trim()}`);
  return (mask & (1n << BigInt(capability))) !== 0n;
}
