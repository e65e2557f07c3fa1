import type { RuntimeConfigRequest__Output } from '../../generated/cri/runtime/v1/RuntimeConfigRequest.js';
import type { RuntimeConfigResponse } from '../../generated/cri/runtime/v1/RuntimeConfigResponse.js';
import type { ServerContext } from '../context.js';

export async function runtimeConfig(ctx: ServerContext, _request: RuntimeConfigRequest__Output): Promise<RuntimeConfigResponse> {
  return { linux: { cgroupDriver: ctx.config.cgroupDriver === 'systemd' ? 'SYSTEMD' : 'CGROUPFS' } };
}
