import type { ListMetricDescriptorsResponse } from '../../generated/cri/runtime/v1/ListMetricDescriptorsResponse.js';
import { METRIC_FAMILIES } from '../../stats/metric-families.js';
import type { ServerContext } from '../context.js';

/** The families ListPodSandboxMetrics reports (cadvisor's container_* set); kubelet reads them once at start. */
export async function listMetricDescriptors(_ctx: ServerContext, _request: unknown): Promise<ListMetricDescriptorsResponse> {
  return { descriptors: METRIC_FAMILIES.map((f) => ({ name: f.name, help: f.help, labelKeys: [...f.labelKeys] })) };
}
