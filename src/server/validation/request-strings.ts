import { InvalidArgumentError } from '../../errors.js';
import { childPath, entryPath } from './field-path.js';

// Map fields of CRI messages (labels, annotations, sysctls, ...): their keys are client strings too.
const MAP_FIELDS = new Set(['labels', 'annotations', 'labelSelector', 'sysctls', 'unified', 'options']);

/**
 * Why a decoded string cannot be used: a NUL byte ends a C string (a path,
 * an argument, a label in containerd), so it would be cut short somewhere
 * below; U+FFFD is what the decoder made of bytes that were not UTF-8, which
 * a Go client (kubelet) cannot send in a proto3 string.
 */
function badString(text: string): string | undefined {
  if (text.includes('\0')) return 'holds a NUL byte';
  if (text.includes('\uFFFD')) return 'is not valid UTF-8 (or holds U+FFFD)';
  return undefined;
}

function checkValue(value: unknown, path: string, isMap: boolean): void {
  if (typeof value === 'string') {
    const why = badString(value);
    if (why) throw new InvalidArgumentError(`${path} ${why}`);
    return;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkValue(item, `${path}[${index}]`, false));
    return;
  }
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (isMap) {
      const where = entryPath(path, key);
      const why = badString(key);
      if (why) throw new InvalidArgumentError(`${where}: the key ${why}`);
      checkValue(child, where, false);
    } else {
      checkValue(child, childPath(path, key), MAP_FIELDS.has(key));
    }
  }
}

/**
 * Every string of a decoded request, map keys included, checked before any
 * handler runs: InvalidArgument naming the first bad field.
 */
export function checkRequestStrings(request: unknown): void {
  checkValue(request, '', false);
}
