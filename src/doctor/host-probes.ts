import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { describeFailure, runCommandHere } from '../host/command.js';

/** `name` as the kernel would run it: a path taken as is, a bare name looked up in `searchPath`. */
export async function findExecutable(name: string, searchPath = process.env.PATH ?? ''): Promise<string | undefined> {
  const candidates = name.includes('/') ? [name] : searchPath.split(':').filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here, or not executable
    }
  }
  return undefined;
}

/** The first line a program prints for `args` (its version), or why it printed none. */
export async function firstOutputLine(binary: string, args: readonly string[], timeoutMs: number): Promise<{ line: string } | { error: string }> {
  const request = { file: binary, args, timeoutMs };
  const result = await runCommandHere(request);
  if (result.exitCode !== 0 || result.timedOut) return { error: describeFailure(request, result) };
  return { line: (result.stdout.trim() || result.stderr.trim()).split('\n')[0] ?? '' };
}

/** A sysctl's value from a /proc/sys tree, or undefined when the key does not exist. */
export async function readSysctl(procSys: string, key: string): Promise<string | undefined> {
  try {
    return (await readFile(join(procSys, ...key.split('.')), 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** True when something accepts a connection on the unix socket `path` within `timeoutMs`. */
export function unixSocketAnswers(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (answers: boolean): void => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** `path` itself when it exists, else its closest existing ancestor: what a directory made there would live on. */
export async function nearestExisting(path: string): Promise<string> {
  for (let current = path; ; current = dirname(current)) {
    try {
      await stat(current);
      return current;
    } catch {
      if (dirname(current) === current) return current;
    }
  }
}
