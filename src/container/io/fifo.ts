// FIFOs for a container task's stdio (passed to containerd's Tasks.Create).
//
// The runc shim opens the write ends of stdout/stderr with a blocking
// O_WRONLY (so a reader must exist first) and keeps a read end of its own, so
// output stays buffered in the pipe while cri-ts is away. cri-ts reads through
// a libuv pipe (net.Socket on a non-blocking fd), never through the threadpool.

import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { runCommandOrThrow } from '../../host/command-runner.js';
import { CriError, NotFoundError, errorMessage } from '../../errors.js';
import { fifoPool } from './fifo-pool.js';

// libuv opens every fd with O_CLOEXEC, so children spawned by cri-ts never inherit them.
// FIFOs are opened synchronously: with O_NONBLOCK the open never waits (for a
// reader or a writer), and a trip through the threadpool costs more than the
// call (a restart at 100 pods reopens 400 of them).

/**
 * Creates the directory (0700) and a FIFO (0600) for each name not there yet
 * (from the pool when there is one); returns the paths of all of them.
 */
export async function createFifos(dir: string, names: readonly string[]): Promise<string[]> {
  const paths = names.map((name) => join(dir, name));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const present = new Set(await readdir(dir));
  const missing = paths.filter((_, i) => !present.has(names[i]!));
  if (missing.length === 0) return paths;
  try {
    const pool = fifoPool();
    if (pool) await pool.placeAt(missing);
    else await runCommandOrThrow('mkfifo', ['-m', '600', '--', ...missing]);
  } catch (err) {
    throw new CriError('Internal', `creating FIFOs in ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  return paths;
}

export interface FifoReader {
  /** The read end (a libuv pipe); 'end' once every writer has closed. */
  socket: Socket;
  /**
   * Closes the placeholder write end. Until then the reader cannot see EOF;
   * call once the real writer (the shim) holds its write end. Idempotent.
   */
  releasePlaceholder(): void;
}

function openError(path: string, err: unknown): Error {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new NotFoundError(`FIFO ${path} does not exist`, { cause: err });
  return new CriError('Internal', `opening FIFO ${path}: ${errorMessage(err)}`, { cause: err });
}

/**
 * Opens the read end (O_RDONLY|O_NONBLOCK) and a placeholder write end
 * (O_WRONLY|O_NONBLOCK). The placeholder keeps reads from returning EOF before
 * the shim opened its write end; opening it after the read end also makes the
 * kernel report the hang-up to this reader once the last writer closes (Linux
 * only reports POLLHUP to a FIFO reader if a writer opened after it).
 */
export async function openFifoReader(path: string): Promise<FifoReader> {
  let readFd: number;
  try {
    readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw openError(path, err);
  }
  let placeholderFd: number | undefined;
  try {
    placeholderFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    closeSync(readFd);
    throw openError(path, err);
  }
  const socket = new Socket({ fd: readFd, readable: true, writable: false });
  return {
    socket,
    releasePlaceholder: () => {
      if (placeholderFd === undefined) return;
      const fd = placeholderFd;
      placeholderFd = undefined;
      closeSync(fd);
    },
  };
}

/**
 * Opens a FIFO for writing with O_RDWR, which never blocks on Linux even
 * without a reader yet (and never fails with EPIPE); used for stdin.
 */
export async function openFifoWriter(path: string): Promise<Socket> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  } catch (err) {
    throw openError(path, err);
  }
  return new Socket({ fd, readable: false, writable: true });
}

/** Unlinks the given FIFOs; missing ones are fine. */
export async function removeFifos(paths: readonly string[]): Promise<void> {
  await Promise.all(
    paths.map((path) =>
      unlink(path).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }),
    ),
  );
}

/** Removes a FIFO directory and everything in it; a missing directory is fine. */
export async function removeFifoDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
