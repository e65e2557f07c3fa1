import type { ListMetricDescriptorsResponse } from '../../generated/cri/runtime/v1/ListMetricDescriptorsResponse.js';
import type { ListPodSandboxMetricsResponse } from '../../generated/cri/runtime/v1/ListPodSandboxMetricsResponse.js';
import type { ServerContext } from '../context.js';

/**
 * ListMetricDescriptors and ListPodSandboxMetrics: cri-ts offers no metrics
 * beyond the stats calls yet, so both answer with none (kubelet then keeps
 * using cAdvisor for what stats do not cover).
 */
export async function listMetricDescriptors(_ctx: ServerContext, _request: unknown): Promise<ListMetricDescriptorsResponse> {
  return { descriptors: [] };
}

export async function listPodSandboxMetrics(_ctx: ServerContext, _request: unknown): Promise<ListPodSandboxMetricsResponse> {
  return { podMetrics: [] };
}
