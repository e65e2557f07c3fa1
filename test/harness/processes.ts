import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const running = new Set<ChildProcess>();

// A failing or interrupted test run must not leave daemons behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns a daemon with its output appended to `logPath`; it is killed when the test process exits. */
export function spawnDaemon(command: string, args: string[], logPath: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const fd = openSync(logPath, 'a');
  const child = spawn(command, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
  closeSync(fd);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Sends `signal`, waits for the exit, and kills it outright after `graceMs`. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  // The grace timer is cancelled on exit, or it would hold the test process open.
  const grace = new AbortController();
  const timeout = sleep(graceMs, 'timeout' as const, { signal: grace.signal }).catch(() => 'exited' as const);
  const result = await Promise.race([exited, timeout]);
  grace.abort();
  if (result !== 'timeout') return result as number | null;
  child.kill('SIGKILL');
  return exited;
}

/** Polls `check` every 100 ms until it holds, failing with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The argv of a live process, [] when it is gone. */
export async function argvOf(pid: number): Promise<string[]> {
  const text = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return text === '' ? [] : text.split('\0').slice(0, -1);
}

/** Pids whose argv satisfies `match` (exactly the processes a test started: match on its own paths). */
export async function pidsWhere(match: (argv: string[], pid: number) => boolean): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const argv = await argvOf(pid);
    if (argv.length > 0 && match(argv, pid)) out.push(pid);
  }
  return out;
}

/** The parent pid of `pid`, or -1. */
export async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // The command name may hold spaces or parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[1] ? Number(fields[1]) : -1;
}
