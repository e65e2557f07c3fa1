import { clipInput } from '../../errors.js';

/** A request field as the CRI proto names it (`pod_sandbox_id`), from the decoded camelCase key. */
export function protoFieldName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `parent.child`, or the child alone at the top. */
export function childPath(parent: string, key: string): string {
  return parent === '' ? protoFieldName(key) : `${parent}.${protoFieldName(key)}`;
}

/** A map entry's path, its key quoted and clipped: the key is client input. */
export function entryPath(parent: string, key: string): string {
  return `${parent}[${JSON.stringify(clipInput(key, 64))}]`;
}
