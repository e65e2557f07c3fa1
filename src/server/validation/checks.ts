import { InvalidArgumentError } from '../../errors.js';
import { entryPath } from './field-path.js';

/** Small checks the request validators are made of; each throws InvalidArgument naming the field and the limit. */

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
  if (path.split('/').includes('..')) throw new InvalidArgumentError(`${field} must not contain a ".." component`);
}

export function checkAbsolutePath(path: string, field: string, maxBytes: number): void {
  checkBytes(path, maxBytes, field, 'PATH_MAX');
  if (!path.startsWith('/')) throw new InvalidArgumentError(`${field} must be an absolute path`);
  checkNoBacksteps(path, field);
}

export function checkPort(port: number, field: string, allowZero: boolean): void {
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(port) || port < min || port > 65535) throw new InvalidArgumentError(`${field} is ${port}; a port is ${min} to 65535`);
}
