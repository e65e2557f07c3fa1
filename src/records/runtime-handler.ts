import type { ContainerdConfig, RuntimeHandlerConfig } from '../config/config.js';
import { ociRuntimeBinary, RUNC_SHIMS } from '../config/runtime-binary.js';
import { type AnyMessage, packAny } from '../containerd/any.js';
import { InvalidArgumentError } from '../errors.js';

/** A runtime handler as a pod's and its containers' records name it. */
export interface RuntimeHandler {
  name: string;
  /** The containerd shim, e.g. io.containerd.runc.v2. */
  runtimeType: string;
  /** The shim options as the Any containerd passes to the shim; undefined when there are none. */
  options: AnyMessage | undefined;
  /** The handler's snapshotter, or containerd.snapshotter when it names none. */
  snapshotter: string;
  /** The OCI runtime binary its shim runs (runc-type shims); undefined for other shims. */
  ociBinary: string | undefined;
}

/** TOML keys are written as containerd's config spells them (BinaryName); the proto wants binaryName. */
function camel(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

/** The shim options of a runtime handler, as the Any containerd passes to the shim; undefined when there are none. */
export function runtimeOptionsAny(handlerName: string, handler: RuntimeHandlerConfig): AnyMessage | undefined {
  const entries = Object.entries(handler.options);
  if (entries.length === 0 || !RUNC_SHIMS.includes(handler.runtimeType)) return undefined;
  try {
    return packAny('containerd.runc.v1.Options', Object.fromEntries(entries.map(([k, v]) => [camel(k), v])));
  } catch (err) {
    throw new InvalidArgumentError(`containerd.runtimes.${handlerName}.options: ${(err as Error).message}`);
  }
}

/** The configured handler `requested` names ('' for the default), or InvalidArgument naming the configured ones. */
export function resolveRuntimeHandler(config: ContainerdConfig, requested: string): RuntimeHandler {
  const name = requested || config.defaultRuntimeName;
  const handler = config.runtimes[name];
  if (!handler) {
    const known = Object.keys(config.runtimes).join(', ') || 'none';
    throw new InvalidArgumentError(`runtime_handler "${name}" is not configured (configured: ${known}); add [containerd.runtimes.${name}] to the config`);
  }
  return {
    name,
    runtimeType: handler.runtimeType,
    options: runtimeOptionsAny(name, handler),
    snapshotter: handler.snapshotter || config.snapshotter,
    ociBinary: ociRuntimeBinary(handler),
  };
}
