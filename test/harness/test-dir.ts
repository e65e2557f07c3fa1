import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory per test file; unix socket paths must stay short (108 bytes). */
export async function makeTestDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(process.env.CRI_TS_TEST_TMP ?? tmpdir(), `crits-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
