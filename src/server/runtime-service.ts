import type { RpcTable } from './register-service.js';
import { listPodSandbox } from './runtime/list-pod-sandbox.js';
import { podSandboxStatus } from './runtime/pod-sandbox-status.js';
import { removePodSandbox } from './runtime/remove-pod-sandbox.js';
import { runPodSandbox } from './runtime/run-pod-sandbox.js';
import { runtimeConfig } from './runtime/runtime-config.js';
import { stopPodSandbox } from './runtime/stop-pod-sandbox.js';
import { status } from './runtime/status.js';
import { version } from './runtime/version.js';

/** RuntimeService methods cri-ts handles; the rest answer UNIMPLEMENTED. */
export const runtimeServiceRpcs: RpcTable = {
  unary: {
    Version: version,
    Status: status,
    RuntimeConfig: runtimeConfig,
    RunPodSandbox: runPodSandbox,
    StopPodSandbox: stopPodSandbox,
    RemovePodSandbox: removePodSandbox,
    PodSandboxStatus: podSandboxStatus,
    ListPodSandbox: listPodSandbox,
  },
};
