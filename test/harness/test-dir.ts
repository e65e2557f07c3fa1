import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh directory per test file; unix socket paths must stay short (108
 * bytes). Others may pass through it (0711, as containerd's own root and
 * state): a container in a pod's own user namespace runs as a host ID that
 * must reach its root filesystem under containerd's state.
 */
export async function makeTestDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(process.env.CRI_TS_TEST_TMP ?? tmpdir(), `crits-${prefix}-`));
  await chmod(dir, 0o711);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
