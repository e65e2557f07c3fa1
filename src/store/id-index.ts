import { clipInput, InvalidArgumentError, NotFoundError } from '../errors.js';

/** Resolves full IDs from unique prefixes, as kubelet and crictl may pass either. */
export function resolveIdPrefix(ids: Iterable<string>, prefix: string, what: string): string {
  if (prefix === '') throw new InvalidArgumentError(`${what} ID is empty`);
  const matches: string[] = [];
  for (const id of ids) {
    if (id === prefix) return id;
    if (id.startsWith(prefix)) matches.push(id);
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new NotFoundError(`${what} "${clipInput(prefix)}" not found`);
  throw new InvalidArgumentError(`${what} ID prefix "${clipInput(prefix)}" is ambiguous: it matches ${matches.length}; give more characters`);
}
