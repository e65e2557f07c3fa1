import type { RpcTable } from './register-service.js';
import { runtimeConfig } from './runtime/runtime-config.js';
import { status } from './runtime/status.js';
import { version } from './runtime/version.js';

/** RuntimeService methods cri-ts handles; the rest answer UNIMPLEMENTED. */
export const runtimeServiceRpcs: RpcTable = {
  unary: {
    Version: version,
    Status: status,
    RuntimeConfig: runtimeConfig,
  },
};
