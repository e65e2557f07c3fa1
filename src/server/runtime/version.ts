import type { VersionRequest__Output } from '../../generated/cri/runtime/v1/VersionRequest.js';
import type { VersionResponse } from '../../generated/cri/runtime/v1/VersionResponse.js';
import { packageVersion } from '../../package-paths.js';
import type { ServerContext } from '../context.js';

// The kubelet runtime API version every CRI runtime reports.
const KUBE_RUNTIME_API_VERSION = '0.1.0';

export async function version(_ctx: ServerContext, _request: VersionRequest__Output): Promise<VersionResponse> {
  return {
    version: KUBE_RUNTIME_API_VERSION,
    runtimeName: 'cri-ts',
    runtimeVersion: packageVersion,
    runtimeApiVersion: 'v1',
  };
}
