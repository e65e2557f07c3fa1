import { InvalidArgumentError } from '../errors.js';
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
 * Masked and read-only paths exactly as the security context lists them, as
 * containerd's CRI does: kubelet sends the default lists itself, and empty
 * ones for procMount Unmasked, which an empty list must therefore honour. A
 * privileged container has neither.
 */
export function withMaskedAndReadonlyPaths(spec: OciSpec, lists: PathLists, privileged: boolean): void {
  const linux = (spec.linux ??= {});
  if (privileged) {
    delete linux.maskedPaths;
    delete linux.readonlyPaths;
    return;
  }
  linux.maskedPaths = checked(lists.maskedPaths, 'masked_paths');
  linux.readonlyPaths = checked(lists.readonlyPaths, 'readonly_paths');
}
