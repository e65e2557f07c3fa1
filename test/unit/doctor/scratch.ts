import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';

/** A scratch directory for one test file, removed after it. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `crits-doctor-${prefix}-`));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path -> content) under `root`, making directories on the way. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** An executable shell script at `path` that prints `output` and exits with `code`. */
export async function writeProgram(path: string, output: string, code = 0): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `#!/bin/sh\necho ${JSON.stringify(output)}\nexit ${code}\n`);
  await chmod(path, 0o755);
}
