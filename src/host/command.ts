import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** A host program to run to completion (mount, ip, mkfifo, a CNI plugin, ...). */
export interface CommandRequest {
  file: string;
  args: readonly string[];
  /** Written to stdin, which is closed afterwards. */
  input?: string;
  /** The whole environment when given (nothing inherited), else cri-ts's own. */
  env?: Record<string, string>;
  cwd?: string;
  /**
   * Killed with SIGKILL after this long. With `ownProcessGroup` the whole
   * group dies, so a grandchild holding stdout open cannot keep us waiting.
   */
  timeoutMs?: number;
  ownProcessGroup?: boolean;
}

/** How it ended; a program that could not be started has neither exitCode nor signal. */
export interface CommandResult {
  exitCode?: number;
  signal?: string;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Why it could not be started (ENOENT, EACCES, ...) when it was not. */
  startError?: string;
  /** How long starting it blocked the starting process (spawn returns once the program has exec'd or failed to). */
  spawnSeconds?: number;
}

function commandLine(request: Pick<CommandRequest, 'file' | 'args'>): string {
  return [request.file, ...request.args].join(' ');
}

/** A one-line account of an unsuccessful run, for error messages. */
export function describeFailure(request: CommandRequest, result: CommandResult): string {
  const what = commandLine(request);
  if (result.timedOut) return `${what} did not finish within ${request.timeoutMs} ms and was killed`;
  if (result.startError !== undefined) return `${what} could not be started: ${result.startError}`;
  if (result.signal !== undefined) return `${what} was killed by ${result.signal}`;
  const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(0, 5).join('\n');
  return `${what} failed with exit code ${result.exitCode}${output ? `: ${output}` : ''}`;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Runs the command from this process; never throws. Plain child_process
 * rather than execa: execa cost about 3 ms of CPU per command here against
 * about 1 ms, and a pod start runs ten of them.
 */
export function runCommandHere(request: CommandRequest): Promise<CommandResult> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    let startError: string | undefined;
    const spawnStarted = performance.now();
    const child = spawn(request.file, [...request.args], {
      stdio: [request.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      ...(request.env ? { env: request.env } : {}),
      ...(request.cwd !== undefined ? { cwd: request.cwd } : {}),
      detached: request.ownProcessGroup ?? false,
    });
    const spawnSeconds = (performance.now() - spawnStarted) / 1000;
    const timer =
      request.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            if (request.ownProcessGroup) killGroup(child.pid);
            else child.kill('SIGKILL');
          }, request.timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A program that exits without reading its input closes the pipe under us: not an error of ours.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(request.input);
    child.on('error', (err: NodeJS.ErrnoException) => {
      startError = err.code ?? err.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: CommandResult = { timedOut, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), spawnSeconds };
      // Node reports a program that never started as closed with a negative errno for code.
      if (startError !== undefined) result.startError = startError;
      else if (code !== null) result.exitCode = code;
      if (signal !== null) result.signal = signal;
      resolve(result);
    });
  });
}
