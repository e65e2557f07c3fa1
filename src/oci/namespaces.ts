import type { OciNamespaceType, OciSpec } from './oci-types.js';

/** A namespace of the spec: a new one, one to join by path, or the host's (none in the spec). */
export type NamespaceChoice = { kind: 'new' } | { kind: 'join'; path: string } | { kind: 'host' };

export function withNamespace(spec: OciSpec, type: OciNamespaceType, choice: NamespaceChoice): void {
  const linux = (spec.linux ??= {});
  const others = (linux.namespaces ?? []).filter((ns) => ns.type !== type);
  if (choice.kind === 'new') others.push({ type });
  if (choice.kind === 'join') others.push({ type, path: choice.path });
  linux.namespaces = others;
}
