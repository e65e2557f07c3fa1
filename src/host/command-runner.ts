import { type ChildProcess, fork } from 'node:child_process';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CriError } from '../errors.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics/metrics.js';
import { type CommandRequest, type CommandResult, describeFailure, runCommandHere } from './command.js';

/** What cri-ts sends its command helper, and what comes back. */
export interface HelperRequest {
  id: number;
  request: CommandRequest;
}

export interface HelperResponse {
  id: number;
  result: CommandResult;
}

/** How long past a command's own timeout the helper may take to report it. */
const HELPER_GRACE_MS = 10_000;
const HELPER_MAIN = fileURLToPath(new URL('./command-helper-main.js', import.meta.url));
/**
 * The helper runs a few lines of JS per command: V8's interpreter alone and
 * small heaps keep it from growing a second full Node heap (measured: 10 MB
 * of its own memory after 200 commands rather than 13-15 MB; a Node process
 * starts at about 43 MB RSS, 35 MB of it the node binary's pages, shared
 * with cri-ts). --no-expose-wasm: --jitless turns it off anyway, and says so.
 */
const HELPER_NODE_FLAGS = ['--jitless', '--no-expose-wasm', '--max-semi-space-size=1', '--max-old-space-size=32'];

/**
 * Runs commands in the command helper process (see command-helper-main.ts),
 * starting it again if it died. A command in flight when it dies fails.
 */
export class CommandHelper {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: CommandResult) => void; reject: (e: Error) => void }>();
  private stopped = false;

  constructor(
    private readonly log: Logger,
    private readonly graceMs = HELPER_GRACE_MS,
  ) {}

  start(): void {
    if (this.child || this.stopped) return;
    // No inherited node flags (--cpu-prof, --inspect): they are meant for cri-ts itself.
    const child = fork(HELPER_MAIN, [], { execArgv: HELPER_NODE_FLAGS, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    this.child = child;
    child.on('message', (message: HelperResponse) => {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      call.resolve(message.result);
    });
    child.on('error', (err) => this.log.warn({ err }, 'command helper error'));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const call of lost) call.reject(new CriError('Internal', `the command helper exited (${signal ?? `code ${code}`}) while running a command`));
      if (!this.stopped) this.log.warn({ code, signal, lost: lost.length }, 'command helper exited; it is started again on the next command');
    });
    // The helper must not keep cri-ts alive, nor cri-ts wait on it to exit.
    child.unref();
    child.channel?.unref();
  }

  run(request: CommandRequest): Promise<CommandResult> {
    this.start();
    const child = this.child;
    if (!child?.connected) return runCommandHere(request);
    const id = this.nextId++;
    // The helper holds the event loop open only while a reply is due.
    if (this.pending.size === 0) {
      child.ref();
      child.channel?.ref();
    }
    let backstop: NodeJS.Timeout | undefined;
    return new Promise<CommandResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // The helper enforces the timeout; this catches a helper that stopped answering altogether.
      if (request.timeoutMs !== undefined) {
        const limitMs = request.timeoutMs + this.graceMs;
        backstop = setTimeout(() => {
          if (!this.pending.delete(id)) return;
          reject(new CriError('DeadlineExceeded', `the command helper did not report on ${request.file} within ${limitMs} ms`));
        }, limitMs);
      }
      const message: HelperRequest = { id, request };
      child.send(message, (err) => {
        if (!err || !this.pending.delete(id)) return;
        reject(new CriError('Internal', `could not hand ${request.file} to the command helper: ${err.message}`, { cause: err }));
      });
    }).finally(() => {
      clearTimeout(backstop);
      if (this.pending.size > 0) return;
      child.unref();
      child.channel?.unref();
    });
  }

  stop(): void {
    this.stopped = true;
    this.child?.disconnect();
    this.child = undefined;
  }
}

let helper: CommandHelper | undefined;

/** Set by the daemon: from then on commands run in the helper process. Without it they run in-process (tests, tools). */
export function useCommandHelper(log: Logger): CommandHelper {
  helper ??= new CommandHelper(log);
  helper.start();
  return helper;
}

export function stopCommandHelper(): void {
  helper?.stop();
  helper = undefined;
}

/** Runs a host command to completion; never throws for the command's own failure (see runCommandOrThrow). */
export async function runCommand(request: CommandRequest): Promise<CommandResult> {
  const started = performance.now();
  const result = await (helper ? helper.run(request) : runCommandHere(request));
  metrics.commandRun(basename(request.file), result.startError === undefined ? result.spawnSeconds : undefined, (performance.now() - started) / 1000);
  return result;
}

/** Runs a host command and returns its stdout; an unsuccessful run throws Internal naming the command and its stderr. */
export async function runCommandOrThrow(file: string, args: readonly string[], options: Omit<CommandRequest, 'file' | 'args'> = {}): Promise<string> {
  const request = { file, args, ...options };
  const result = await runCommand(request);
  if (result.exitCode === 0 && !result.timedOut) return result.stdout;
  throw new CriError(result.timedOut ? 'DeadlineExceeded' : 'Internal', describeFailure(request, result));
}
