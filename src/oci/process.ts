import type { OciSpec } from './oci-types.js';

export function withArgs(spec: OciSpec, args: string[]): void {
  spec.process!.args = args;
}

/** Sets env entries; later ones override earlier ones with the same name, keeping the first position. */
export function withEnv(spec: OciSpec, env: readonly string[]): void {
  const merged = new Map<string, string>();
  for (const entry of [...(spec.process!.env ?? []), ...env]) {
    const eq = entry.indexOf('=');
    merged.set(eq === -1 ? entry : entry.slice(0, eq), entry);
  }
  spec.process!.env = [...merged.values()];
}

export function withCwd(spec: OciSpec, cwd: string): void {
  if (cwd !== '') spec.process!.cwd = cwd;
}

export function withUserIds(spec: OciSpec, uid: number, gid: number, additionalGids: readonly number[] = []): void {
  spec.process!.user = { uid, gid, ...(additionalGids.length > 0 ? { additionalGids: [...new Set(additionalGids)] } : {}) };
}

export function withReadonlyRootfs(spec: OciSpec, readonly: boolean): void {
  spec.root = { path: spec.root?.path ?? 'rootfs', readonly };
}

export function withHostname(spec: OciSpec, hostname: string): void {
  if (hostname !== '') spec.hostname = hostname;
}

export function withAnnotations(spec: OciSpec, annotations: Record<string, string>): void {
  spec.annotations = { ...(spec.annotations ?? {}), ...annotations };
}
