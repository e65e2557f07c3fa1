import { clipInput, InvalidArgumentError } from '../../errors.js';
import { entryPath } from './field-path.js';
import { LIMITS } from './limits.js';

/** Small checks the request validators are made of; each throws InvalidArgument naming the field and the limit. */

// A refused path is quoted so the caller sees what was wrong, but no longer than this.
const QUOTED_PATH_CHARS = 256;

export function checkLength(value: string, max: number, field: string, why: string): void {
  if (value.length > max) throw new InvalidArgumentError(`${field} is ${value.length} characters; at most ${max} are allowed (${why})`);
}

export function checkBytes(value: string, max: number, field: string, why: string): void {
  const bytes = Buffer.byteLength(value);
  if (bytes > max) throw new InvalidArgumentError(`${field} is ${bytes} bytes; at most ${max} are allowed (${why})`);
}

export function checkCount(items: readonly unknown[] | Record<string, unknown>, max: number, field: string, why: string): void {
  const count = Array.isArray(items) ? items.length : Object.keys(items).length;
  if (count > max) throw new InvalidArgumentError(`${field} has ${count} entries; at most ${max} are allowed (${why})`);
}

/** Keys and values together, in bytes, as apimachinery counts annotations. */
export function checkMapBytes(map: Record<string, string>, max: number, field: string, why: string): void {
  let total = 0;
  for (const [key, value] of Object.entries(map)) total += Buffer.byteLength(key) + Buffer.byteLength(value);
  if (total > max) throw new InvalidArgumentError(`${field} total ${total} bytes (keys and values); at most ${max} are allowed (${why})`);
}

export function checkMapKeysNotEmpty(map: Record<string, string>, field: string): void {
  if ('' in map) throw new InvalidArgumentError(`${entryPath(field, '')}: an empty key is not allowed`);
}

/** A path must not climb out of where it is put: no ".." component, as kubelet checks host paths and subpaths (validatePathNoBacksteps). */
export function checkNoBacksteps(path: string, field: string): void {
  if (path.split('/').includes('..')) throw new InvalidArgumentError(`${field} "${clipInput(path, QUOTED_PATH_CHARS)}" must not contain a ".." component`);
}

export function checkAbsolutePath(path: string, field: string, maxBytes: number): void {
  checkBytes(path, maxBytes, field, 'PATH_MAX');
  if (!path.startsWith('/')) throw new InvalidArgumentError(`${field} "${clipInput(path, QUOTED_PATH_CHARS)}" must be an absolute path`);
  checkNoBacksteps(path, field);
}

export function checkPort(port: number, field: string, allowZero: boolean): void {
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(port) || port < min || port > 65535) throw new InvalidArgumentError(`${field} is ${port}; a port is ${min} to 65535`);
}

/** A year: longer than anyone waits on a call, and short enough for a JavaScript Date and a gRPC deadline. */
const MAX_TIMEOUT_SECONDS = 365 * 24 * 3600;

/**
 * A CRI timeout in seconds (an int64 on the wire): never negative; a value past
 * a year is waited as a year (2^63 seconds from now is no Date, and an
 * invalid deadline expired at once).
 */
export function timeoutSeconds(value: string | number, field: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) throw new InvalidArgumentError(`${field} must be zero or more seconds, got ${value}`);
  return Math.min(seconds, MAX_TIMEOUT_SECONDS);
}

/** Arguments handed to execve: each within MAX_ARG_STRLEN, all together within what the kernel takes for them. */
export function checkExecArguments(values: readonly string[], field: string, maxEntries: number, maxStringBytes: number, maxTotalBytes: number): void {
  checkCount(values, maxEntries, field, 'cri-ts bounds the arguments of one process');
  let total = 0;
  values.forEach((value, i) => {
    const bytes = Buffer.byteLength(value) + 1;
    if (bytes - 1 > maxStringBytes) throw new InvalidArgumentError(`${field}[${i}] is ${bytes - 1} bytes; at most ${maxStringBytes} are allowed (the kernel refuses a longer argument, MAX_ARG_STRLEN)`);
    total += bytes;
  });
  if (total > maxTotalBytes) throw new InvalidArgumentError(`${field} total ${total} bytes; at most ${maxTotalBytes} are allowed (execve takes arguments and environment within ARG_MAX)`);
}

/** ExecSync's and Exec's `cmd`: a command to run (one rule of both calls), within what execve takes. */
export function checkExecCommand(cmd: readonly string[]): void {
  if (cmd.length === 0) throw new InvalidArgumentError('cmd is empty; give the command to run');
  checkExecArguments(cmd, 'cmd', LIMITS.argsEntries, LIMITS.execStringBytes, LIMITS.execArgsTotalBytes);
}
