import type { PodSandbox } from '../../generated/cri/runtime/v1/PodSandbox.js';
import type { PodSandboxStatus } from '../../generated/cri/runtime/v1/PodSandboxStatus.js';
import type { Sandbox } from '../../sandbox/sandbox.js';

export function criSandboxState(sandbox: Sandbox): 'SANDBOX_READY' | 'SANDBOX_NOTREADY' {
  return sandbox.state === 'ready' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY';
}

/** A pod as ListPodSandbox returns it. */
export function toPodSandbox(sandbox: Sandbox): PodSandbox {
  const { config } = sandbox.metadata;
  return {
    id: sandbox.id,
    metadata: config.metadata,
    state: criSandboxState(sandbox),
    createdAt: sandbox.metadata.createdAtNs,
    labels: config.labels,
    annotations: config.annotations,
    runtimeHandler: sandbox.metadata.runtimeHandler,
  };
}

export function toPodSandboxStatus(sandbox: Sandbox): PodSandboxStatus {
  const { metadata } = sandbox;
  const [primary, ...additional] = metadata.ips;
  return {
    id: sandbox.id,
    metadata: metadata.config.metadata,
    state: criSandboxState(sandbox),
    createdAt: metadata.createdAtNs,
    network: { ip: primary ?? '', additionalIps: additional.map((ip) => ({ ip })) },
    linux: { namespaces: { options: metadata.config.linux?.securityContext?.namespaceOptions ?? null } },
    labels: metadata.config.labels,
    annotations: metadata.config.annotations,
    runtimeHandler: metadata.runtimeHandler,
  };
}
