import type { RpcTable } from './register-service.js';
import { containerStatus } from './runtime/container-status.js';
import { createContainer } from './runtime/create-container.js';
import { listContainers } from './runtime/list-containers.js';
import { removeContainer } from './runtime/remove-container.js';
import { reopenContainerLog } from './runtime/reopen-container-log.js';
import { startContainer } from './runtime/start-container.js';
import { stopContainer } from './runtime/stop-container.js';
import { containerStats } from './runtime/container-stats.js';
import { listContainerStats } from './runtime/list-container-stats.js';
import { listPodSandboxStats } from './runtime/list-pod-sandbox-stats.js';
import { podSandboxStats } from './runtime/pod-sandbox-stats.js';
import { attach } from './runtime/attach.js';
import { exec } from './runtime/exec.js';
import { execSync } from './runtime/exec-sync.js';
import { listMetricDescriptors } from './runtime/list-metric-descriptors.js';
import { listPodSandboxMetrics } from './runtime/list-pod-sandbox-metrics.js';
import { updateContainerResources } from './runtime/update-container-resources.js';
import { updatePodSandboxResources } from './runtime/update-pod-sandbox-resources.js';
import { updateRuntimeConfig } from './runtime/update-runtime-config.js';
import { getContainerEvents } from './runtime/get-container-events.js';
import { portForward } from './runtime/port-forward.js';
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
    CreateContainer: createContainer,
    StartContainer: startContainer,
    StopContainer: stopContainer,
    RemoveContainer: removeContainer,
    ContainerStatus: containerStatus,
    ListContainers: listContainers,
    ReopenContainerLog: reopenContainerLog,
    ContainerStats: containerStats,
    ExecSync: execSync,
    Exec: exec,
    Attach: attach,
    PortForward: portForward,
    ListContainerStats: listContainerStats,
    PodSandboxStats: podSandboxStats,
    ListPodSandboxStats: listPodSandboxStats,
    UpdateContainerResources: updateContainerResources,
    UpdatePodSandboxResources: updatePodSandboxResources,
    ListMetricDescriptors: listMetricDescriptors,
    ListPodSandboxMetrics: listPodSandboxMetrics,
    UpdateRuntimeConfig: updateRuntimeConfig,
  },
  serverStream: {
    GetContainerEvents: getContainerEvents,
  },
};
