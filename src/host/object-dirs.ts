import { readdir } from 'node:fs/promises';

const OBJECT_ID = /^[0-9a-f]{64}$/;

/** The pod or container IDs (64 hex digits) that name entries of `dir`; none when it is missing. */
export async function objectIdsIn(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((name) => OBJECT_ID.test(name));
}
