import { InvalidArgumentError } from '../../errors.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './default-spec.js';
import type { OciSpec } from './oci-types.js';

export interface PathLists {
  maskedPaths: readonly string[];
  readonlyPaths: readonly string[];
}

function checked(paths: readonly string[], field: string): string[] {
  return paths.map((p, i) => {
    if (!p.startsWith('/')) throw new InvalidArgumentError(`linux.security_context.${field}[${i}] "${p}" must be an absolute path inside the container`);
    return p;
  });
}

/**
 * Masked and read-only paths: a non-empty list from the security context
 * replaces the defaults (kubelet sends the defaults itself, or its own list),
 * an empty one keeps the defaults; a privileged container has neither.
 */
export function withMaskedAndReadonlyPaths(spec: OciSpec, lists: PathLists, privileged: boolean): void {
  const linux = (spec.linux ??= {});
  if (privileged) {
    delete linux.maskedPaths;
    delete linux.readonlyPaths;
    return;
  }
  linux.maskedPaths = lists.maskedPaths.length > 0 ? checked(lists.maskedPaths, 'masked_paths') : [...DEFAULT_MASKED_PATHS];
  linux.readonlyPaths = lists.readonlyPaths.length > 0 ? checked(lists.readonlyPaths, 'readonly_paths') : [...DEFAULT_READONLY_PATHS];
}
