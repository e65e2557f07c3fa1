import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
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
