import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CriError } from '../errors.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics/metrics.js';
import { packageRoot } from '../package-paths.js';
import { type CommandRequest, type CommandResult, describeFailure, runCommandHere } from './command.js';

/** How long past a command's own timeout the helper may take to report it. */
const HELPER_GRACE_MS = 10_000;
/**
 * The helper is a Perl script (perl-base is Essential on Debian): about 5 MB
 * RSS where a second Node process took 42 MB, and it starts in milliseconds.
 */
const PERL = '/usr/bin/perl';
const HELPER_SCRIPT = `${packageRoot}libexec/command-helper.pl`;

const Flag = { input: 1, ownProcessGroup: 2, env: 4, cwd: 8, timeout: 16, mount: 32 } as const;
/** unshare(2) and mount(2) by architecture, for mounting from the helper; elsewhere mount and ip run. */
const SYSCALLS: Partial<Record<NodeJS.Architecture, { unshare: number; mount: number }>> = {
  x64: { unshare: 272, mount: 165 },
  arm64: { unshare: 97, mount: 40 },
};
const CLONE_NEWNET = 0x40000000;
export const MountFlag = { nosuid: 0x2, nodev: 0x4, noexec: 0x8, bind: 0x1000 } as const;

/** A request to the helper: a command, or (mount) a mount(2) it makes itself (see the helper's header). */
export interface HelperRequest extends CommandRequest {
  mount?: boolean;
}
const signalNames = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));
const errnoNames = new Map(Object.entries(constants.errno).map(([name, number]) => [number, name]));

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function lengthPrefixed(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  return [uint32(bytes.length), bytes];
}

/** One request frame for libexec/command-helper.pl (its header says the layout). */
export function encodeHelperRequest(id: number, request: HelperRequest): Buffer {
  const env = request.env ? Object.entries(request.env).map(([key, value]) => `${key}=${value}`) : [];
  const flags =
    (request.input !== undefined ? Flag.input : 0) |
    (request.ownProcessGroup ? Flag.ownProcessGroup : 0) |
    (request.env ? Flag.env : 0) |
    (request.cwd !== undefined ? Flag.cwd : 0) |
    (request.timeoutMs !== undefined ? Flag.timeout : 0) |
    (request.mount ? Flag.mount : 0);
  const payload = Buffer.concat([
    uint32(id),
    uint32(Math.min(Math.max(Math.ceil(request.timeoutMs ?? 0), 0), 0xffffffff)),
    Buffer.from([flags]),
    ...lengthPrefixed(request.file),
    ...lengthPrefixed(request.cwd ?? ''),
    ...lengthPrefixed(request.input ?? ''),
    uint32(env.length),
    ...env.flatMap(lengthPrefixed),
    uint32(request.args.length),
    ...request.args.flatMap(lengthPrefixed),
  ]);
  return Buffer.concat([uint32(payload.length), payload]);
}

/** A reply frame's payload as the result it reports. */
export function decodeHelperReply(payload: Buffer): { id: number; result: CommandResult } {
  const id = payload.readUInt32BE(0);
  const how = payload.readUInt8(4);
  const code = payload.readUInt32BE(5);
  const timedOut = payload.readUInt8(9) === 1;
  const stdoutLength = payload.readUInt32BE(10);
  const stdout = payload.toString('utf8', 14, 14 + stdoutLength);
  const stderrAt = 14 + stdoutLength;
  const stderr = payload.toString('utf8', stderrAt + 4, stderrAt + 4 + payload.readUInt32BE(stderrAt));
  const result: CommandResult = { timedOut, stdout, stderr };
  if (how === 0) result.exitCode = code;
  else if (how === 1) result.signal = signalNames.get(code) ?? `signal ${code}`;
  else result.startError = errnoNames.get(code) ?? `errno ${code}`;
  return { id, result };
}

/** Splits a byte stream into the payloads of its length-prefixed frames. */
class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (this.buffered.length < 4 + length) break;
      frames.push(this.buffered.subarray(4, 4 + length));
      this.buffered = this.buffered.subarray(4 + length);
    }
    return frames;
  }
}

/**
 * Runs commands in the command helper process (libexec/command-helper.pl),
 * starting it again if it died. A command in flight when it dies fails.
 * Without perl, commands run in this process (with a warning).
 */
export class CommandHelper {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: CommandResult) => void; reject: (e: Error) => void }>();
  private stopped = false;
  private readonly available: boolean;

  constructor(
    private readonly log: Logger,
    private readonly graceMs = HELPER_GRACE_MS,
  ) {
    this.available = existsSync(PERL);
    if (!this.available) log.warn({ perl: PERL }, 'perl is missing: host programs start from cri-ts itself, which stalls its calls while each starts');
  }

  start(): void {
    if (this.child || this.stopped || !this.available) return;
    const child = spawn(PERL, [HELPER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    const frames = new FrameReader();
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const frame of frames.push(chunk)) {
        const { id, result } = decodeHelperReply(frame);
        const call = this.pending.get(id);
        if (!call) continue;
        this.pending.delete(id);
        call.resolve(result);
      }
    });
    // A write after the helper died fails here; its exit rejects what was pending.
    child.stdin!.on('error', () => undefined);
    child.on('error', (err) => this.log.warn({ err }, 'command helper error'));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const call of lost) call.reject(new CriError('Internal', `the command helper exited (${signal ?? `code ${code}`}) while running a command`));
      if (!this.stopped) this.log.warn({ code, signal, lost: lost.length }, 'command helper exited; it is started again on the next command');
    });
    // The helper must not keep cri-ts alive, nor cri-ts wait on it to exit.
    this.hold(false);
  }

  /** The helper holds the event loop open only while a reply is due. */
  private hold(open: boolean): void {
    const child = this.child;
    if (!child) return;
    for (const handle of [child, child.stdout, child.stdin] as Array<{ ref(): void; unref(): void } | null>) {
      if (open) handle?.ref();
      else handle?.unref();
    }
  }

  /** Whether commands run in the helper (perl is there and it was not stopped). */
  get runsCommands(): boolean {
    return this.available && !this.stopped;
  }

  run(request: HelperRequest): Promise<CommandResult> {
    this.start();
    const child = this.child;
    if (!child?.stdin?.writable) {
      if (request.mount) return Promise.resolve({ timedOut: false, stdout: '', stderr: '', startError: 'ENOTSUP' });
      return runCommandHere(request);
    }
    const id = this.nextId++;
    if (this.pending.size === 0) this.hold(true);
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
      child.stdin!.write(encodeHelperRequest(id, request));
    }).finally(() => {
      clearTimeout(backstop);
      if (this.pending.size === 0) this.hold(false);
    });
  }

  stop(): void {
    this.stopped = true;
    // Its stdin closing ends it.
    this.child?.stdin?.end();
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
  throwUnlessSucceeded(request, result);
  return result.stdout;
}

/** An unsuccessful run as the error it is: DeadlineExceeded when it timed out, else Internal naming the command and its stderr. */
function throwUnlessSucceeded(request: CommandRequest, result: CommandResult): void {
  if (result.exitCode === 0 && !result.timedOut) return;
  throw new CriError(result.timedOut ? 'DeadlineExceeded' : 'Internal', describeFailure(request, result));
}

/** A mount(2) for the helper to make: an empty `type` or `data` is NULL. */
export interface MountCall {
  source: string;
  target: string;
  type: string;
  flags: number;
  data: string;
  /** Unshares the network namespace first, to bind-mount the new one from /proc/self/ns/net. */
  newNetns?: boolean;
}

/**
 * Makes a mount from the helper: a child it forks calls mount(2) (after
 * unshare(2) for a new netns), no program started. Starting mount or ip took
 * 7 to 9 ms a pod here. False when the helper cannot (not running, or an
 * architecture whose syscall numbers are not listed): the caller runs the
 * program then.
 */
export async function mountFromHelper(call: MountCall): Promise<boolean> {
  const syscalls = SYSCALLS[process.arch];
  if (!helper?.runsCommands || !syscalls) return false;
  const args = [String(syscalls.mount), call.source, call.target, call.type, String(call.flags), call.data];
  if (call.newNetns) args.push(String(syscalls.unshare), String(CLONE_NEWNET));
  const request = { file: 'mount(2)', args, mount: true, timeoutMs: 10_000 };
  const started = performance.now();
  const result = await helper.run(request);
  metrics.commandRun('mount(2)', undefined, (performance.now() - started) / 1000);
  if (result.startError === 'ENOTSUP') return false;
  throwUnlessSucceeded(request, result);
  return true;
}
