import type { TestKubelet } from '../../harness/kubelet.js';
import { waitFor } from '../../harness/processes.js';

/** The parts of v1.Pod these tests read from kubelet's /pods (a static pod's status comes from kubelet's status manager). */
export interface Terminated {
  exitCode: number;
  reason?: string;
  startedAt?: string;
  finishedAt?: string;
  containerID?: string;
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  containerID?: string;
  state: { running?: { startedAt: string }; waiting?: { reason?: string }; terminated?: Terminated };
  lastState: { terminated?: Terminated };
}

export interface PodStatus {
  phase?: string;
  podIP?: string;
  conditions?: { type: string; status: string }[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

export interface ApiPod {
  metadata: { name: string; namespace: string; uid: string };
  status?: PodStatus;
}

export const NAMESPACE = 'kubelet-e2e';
export const IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.29-2';

/** A static pod: kubelet names it NAME-NODENAME. */
export function staticPod(name: string, spec: Record<string, unknown>): object {
  // 2 s is kubelet's floor; busybox sh as PID 1 ignores SIGTERM and would take the full 30 s
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NAMESPACE }, spec: { terminationGracePeriodSeconds: 2, ...spec } };
}

export function container(name: string, script: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, image: IMAGE, command: ['sh', '-c', script], ...extra };
}

export async function listPods(kubelet: TestKubelet): Promise<ApiPod[]> {
  const response = await kubelet.get('/pods');
  if (response.status !== 200) throw new Error(`GET /pods: ${response.status} ${response.body}`);
  return (JSON.parse(response.body) as { items: ApiPod[] }).items;
}

export async function findPod(kubelet: TestKubelet, fullName: string): Promise<ApiPod | undefined> {
  return (await listPods(kubelet)).find((p) => p.metadata.name === fullName && p.metadata.namespace === NAMESPACE);
}

export function containerStatus(pod: ApiPod | undefined, name: string): ContainerStatus | undefined {
  return [...(pod?.status?.containerStatuses ?? []), ...(pod?.status?.initContainerStatuses ?? [])].find((c) => c.name === name);
}

export function isReady(pod: ApiPod | undefined): boolean {
  return pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The last error lines of kubelet's log, for a failure message. */
async function kubeletErrors(kubelet: TestKubelet): Promise<string> {
  const lines = (await kubelet.log().catch(() => '')).split('\n').filter((l) => l.startsWith('E'));
  return lines.slice(-8).join('\n');
}

/** Polls kubelet's view of one static pod until `check` holds; the failure shows the pod's last status and kubelet's errors. */
export async function waitForPod(kubelet: TestKubelet, fullName: string, what: string, check: (pod: ApiPod) => boolean, timeoutMs = 60_000): Promise<ApiPod> {
  let last: ApiPod | undefined;
  try {
    await waitFor(`${fullName}: ${what}`, async () => {
      last = await findPod(kubelet, fullName).catch(() => undefined);
      return last !== undefined && check(last);
    }, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last?.status)}\nkubelet errors:\n${await kubeletErrors(kubelet)}`);
  }
  if (!last) throw new Error(`${fullName} vanished`);
  return last;
}
