import type { ContainerdConfig, RuntimeHandlerConfig } from '../config/config.js';
import { ociRuntimeBinary } from '../config/runtime-binary.js';
import { type CheckResult, fail, ok, warn } from './check.js';
import { findExecutable, firstOutputLine } from './host-probes.js';

/** containerd runs runtime type io.containerd.NAME.vN as the binary containerd-shim-NAME-vN. */
export function shimBinaryName(runtimeType: string): string {
  return `containerd-shim-${runtimeType.replace(/^io\.containerd\./, '').replace(/\./g, '-')}`;
}

async function checkHandler(name: string, handler: RuntimeHandlerConfig, searchPath?: string): Promise<CheckResult> {
  const label = `runtime ${name}`;
  const shimName = shimBinaryName(handler.runtimeType);
  const shim = await findExecutable(shimName, searchPath);
  const shimNote = shim ? `shim ${shim}` : `shim ${shimName} not on cri-ts's PATH`;
  const binaryName = ociRuntimeBinary(handler);
  if (binaryName === undefined) {
    if (!shim) return warn(label, `${handler.runtimeType}: ${shimNote}`, `install ${shimName} where containerd finds it (its PATH)`);
    return ok(label, `${handler.runtimeType}: ${shimNote}`);
  }
  const binary = await findExecutable(binaryName, searchPath);
  if (!binary) {
    return fail(
      label,
      `${handler.runtimeType} runs "${binaryName}", which is not an executable on PATH`,
      `install ${binaryName} (Debian: apt-get install ${binaryName.split('/').pop()}) or set containerd.runtimes.${name}.options.BinaryName to its path`,
    );
  }
  const version = await firstOutputLine(binary, ['--version'], 2000);
  if ('error' in version) return fail(label, `${binary} does not run: ${version.error}`, `reinstall ${binaryName}`);
  const detail = `${version.line} (${binary}); ${shimNote}`;
  if (!shim) return warn(label, detail, `install ${shimName} (it comes with containerd) where containerd finds it (its PATH)`);
  return ok(label, detail);
}

/** Every configured runtime handler: its OCI runtime binary present and its version, and its containerd shim. */
export function checkRuntimeHandlers(config: ContainerdConfig, searchPath?: string): Promise<CheckResult[]> {
  return Promise.all(Object.entries(config.runtimes).map(([name, handler]) => checkHandler(name, handler, searchPath)));
}
