import { readFile } from 'node:fs/promises';

// Errors meaning "the cgroup / process / file is not there (any more)", which stats readers report as absent.
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENODEV', 'ESRCH']);

export function isAbsentError(err: unknown): boolean {
  return err instanceof Error && ABSENT.has((err as NodeJS.ErrnoException).code ?? '');
}

/** File contents, or undefined when the file (or its cgroup/process) does not exist. */
export async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isAbsentError(err)) return undefined;
    throw err;
  }
}

/** A non-negative integer; undefined for "max", empty or garbage. BigInt because cgroup values reach 2^63. */
export function parseUint(text: string | undefined): bigint | undefined {
  const value = text?.trim();
  return value !== undefined && /^\d+$/.test(value) ? BigInt(value) : undefined;
}

/** "key value" lines (memory.stat, cpu.stat) into a map; unparsable values are dropped. */
export function parseKeyedValues(text: string | undefined): Map<string, bigint> {
  const values = new Map<string, bigint>();
  for (const line of text?.split('\n') ?? []) {
    const [key, value] = line.trim().split(/\s+/);
    const parsed = parseUint(value);
    if (key && parsed !== undefined) values.set(key, parsed);
  }
  return values;
}

/** Unix time in nanoseconds (as CRI timestamps are). */
export { nowEpochNs as nowNs } from '../clock.js';
