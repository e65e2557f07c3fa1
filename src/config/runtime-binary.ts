import type { RuntimeHandlerConfig } from './config.js';

/** The shims that take runc's options (BinaryName, SystemdCgroup, ...) and run an OCI runtime binary. */
export const RUNC_SHIMS = ['io.containerd.runc.v2', 'io.containerd.runc.v1'];

/** The OCI runtime a runc-type shim runs: its BinaryName option, runc by default; undefined for other shims. */
export function ociRuntimeBinary(handler: RuntimeHandlerConfig): string | undefined {
  if (!RUNC_SHIMS.includes(handler.runtimeType)) return undefined;
  return typeof handler.options.BinaryName === 'string' && handler.options.BinaryName !== '' ? handler.options.BinaryName : 'runc';
}
