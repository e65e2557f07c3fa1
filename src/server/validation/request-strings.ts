import { InvalidArgumentError } from '../../errors.js';
import { childPath, entryPath } from './field-path.js';

// Map fields of CRI request messages: their keys are client strings too.
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

/** One step from a message to a field, an array item or a map entry; joined into a name only when something is wrong. */
type Step = { field: string } | { index: number } | { key: string };

function pathOf(steps: readonly Step[]): string {
  let path = '';
  for (const step of steps) {
    if ('field' in step) path = childPath(path, step.field);
    else if ('index' in step) path = `${path}[${step.index}]`;
    else path = entryPath(path, step.key);
  }
  return path;
}

function checkValue(value: unknown, steps: Step[], isMap: boolean): void {
  if (typeof value === 'string') {
    const why = badString(value);
    if (why) throw new InvalidArgumentError(`${pathOf(steps)} ${why}`);
    return;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      steps.push({ index });
      checkValue(value[index], steps, false);
      steps.pop();
    }
    return;
  }
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (isMap) {
      steps.push({ key });
      const why = badString(key);
      if (why) throw new InvalidArgumentError(`${pathOf(steps)}: the key ${why}`);
      checkValue(child, steps, false);
    } else {
      steps.push({ field: key });
      checkValue(child, steps, MAP_FIELDS.has(key));
    }
    steps.pop();
  }
}

/**
 * Every string of a decoded request, map keys included, checked before any
 * handler runs: InvalidArgument naming the first bad field.
 */
export function checkRequestStrings(request: unknown): void {
  checkValue(request, [], false);
}
