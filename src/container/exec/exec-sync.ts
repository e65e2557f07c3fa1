import type { Socket } from 'node:net';
import { CriError } from '../../errors.js';
import type { Container } from '../container.js';
import type { ContainerContext } from '../container-context.js';
import { prepareExec } from './exec-process.js';

/** kubelet caps exec output at 16 MiB per stream; more is read and dropped so the process never blocks. */
export const MAX_EXEC_OUTPUT_BYTES = 16 * 1024 * 1024;
const OUTPUT_DRAIN_MS = 2000;
const KILL_WAIT_MS = 10_000;
const NO_TIMEOUT_MS = 365 * 24 * 3600 * 1000;

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** Collects a stream up to the cap, resolving at EOF. */
function collect(socket: Socket): { done: Promise<void>; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  let size = 0;
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      if (size >= MAX_EXEC_OUTPUT_BYTES) return;
      const room = MAX_EXEC_OUTPUT_BYTES - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
    });
    socket.once('end', () => resolve());
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
  return { done, bytes: () => Buffer.concat(chunks) };
}

/**
 * ExecSync: runs `cmd` in the container as its main process runs (same user,
 * env, capabilities), captures stdout and stderr, and returns the exit code.
 * With a timeout the process is killed when it expires and the call fails
 * with DeadlineExceeded; nothing of the process stays behind.
 */
export async function execSync(ctx: ContainerContext, container: Container, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
  const exec = await prepareExec(ctx, container, { cmd, tty: false, stdin: false });
  const out = collect(exec.stdout.socket);
  const err = collect(exec.stderr!.socket);
  try {
    await exec.start();
    const exitCode = await exec.wait(timeoutSeconds > 0 ? timeoutSeconds * 1000 : NO_TIMEOUT_MS);
    if (exitCode === undefined) {
      await exec.kill();
      await exec.wait(KILL_WAIT_MS).catch(() => undefined);
      throw new CriError('DeadlineExceeded', `command ${JSON.stringify(cmd.join(' '))} timed out after ${timeoutSeconds}s and was killed`);
    }
    await Promise.race([Promise.all([out.done, err.done]), new Promise((r) => setTimeout(r, OUTPUT_DRAIN_MS))]);
    return { stdout: out.bytes(), stderr: err.bytes(), exitCode };
  } finally {
    await exec.dispose();
  }
}
