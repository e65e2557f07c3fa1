import type { RuntimeHandlerConfig } from '../config/config.js';
import { type AnyMessage, packAny } from '../containerd/any.js';
import { InvalidArgumentError } from '../errors.js';

const RUNC_SHIMS = ['io.containerd.runc.v2', 'io.containerd.runc.v1'];

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
