import { writeConfFromTemplate } from '../../cni/conf-template.js';
import type { UpdateRuntimeConfigRequest__Output } from '../../generated/cri/runtime/v1/UpdateRuntimeConfigRequest.js';
import type { UpdateRuntimeConfigResponse } from '../../generated/cri/runtime/v1/UpdateRuntimeConfigResponse.js';
import type { ServerContext } from '../context.js';

/**
 * UpdateRuntimeConfig: kubelet passes the node's pod CIDR; with
 * cni.conf_template set, cri-ts writes the CNI config from it (as
 * containerd's CRI does), and NetworkReady follows once it loads.
 */
export async function updateRuntimeConfig(ctx: ServerContext, request: UpdateRuntimeConfigRequest__Output): Promise<UpdateRuntimeConfigResponse> {
  const podCidr = request.runtimeConfig?.networkConfig?.podCidr ?? '';
  const template = ctx.config.cni.confTemplate;
  if (template === '' || podCidr === '') return {};
  const written = await writeConfFromTemplate(template, ctx.config.cni.confDir, podCidr);
  ctx.log.info({ podCidr, file: written }, 'CNI config written from the template');
  return {};
}
