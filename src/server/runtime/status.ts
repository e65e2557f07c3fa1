import { ociRuntimeBinary } from '../../config/runtime-binary.js';
import { ociRuntimeFeatures } from '../../host/runtime-features.js';
import { errorMessage } from '../../errors.js';
import type { RuntimeCondition } from '../../generated/cri/runtime/v1/RuntimeCondition.js';
import type { StatusRequest__Output } from '../../generated/cri/runtime/v1/StatusRequest.js';
import type { StatusResponse } from '../../generated/cri/runtime/v1/StatusResponse.js';
import type { ServerContext } from '../context.js';

// Status is polled every few seconds by kubelet: answer fast even when containerd hangs.
const CONTAINERD_PROBE_TIMEOUT_MS = 2000;

async function runtimeCondition(ctx: ServerContext): Promise<RuntimeCondition> {
  try {
    await ctx.containerd.check(CONTAINERD_PROBE_TIMEOUT_MS);
    return { type: 'RuntimeReady', status: true, reason: '', message: '' };
  } catch (err) {
    return {
      type: 'RuntimeReady',
      status: false,
      reason: 'ContainerdUnavailable',
      message: `containerd at ${ctx.containerd.address} does not answer: ${errorMessage(err)}`,
    };
  }
}

async function networkCondition(ctx: ServerContext): Promise<{ condition: RuntimeCondition; configs: unknown }> {
  try {
    const configs = await ctx.networkConfigs.current();
    return {
      condition: { type: 'NetworkReady', status: true, reason: '', message: '' },
      configs: configs.map((c) => ({ file: c.file, name: c.name, cniVersion: c.cniVersion, plugins: c.plugins.map((p) => p.type) })),
    };
  } catch (err) {
    return {
      condition: {
        type: 'NetworkReady',
        status: false,
        reason: 'NetworkPluginNotReady',
        message: `Network plugin returns error: cni config not loaded: ${errorMessage(err)}`,
      },
      configs: null,
    };
  }
}

export async function status(ctx: ServerContext, request: StatusRequest__Output): Promise<StatusResponse> {
  const [runtime, network] = await Promise.all([runtimeCondition(ctx), networkCondition(ctx)]);
  const handlerNames = [...new Set(['', ...Object.keys(ctx.config.containerd.runtimes)])];
  const handlerFeatures = await Promise.all(
    handlerNames.map(async (name) => {
      const handler = ctx.config.containerd.runtimes[name || ctx.config.containerd.defaultRuntimeName];
      const binary = handler && ociRuntimeBinary(handler);
      const features = binary ? await ociRuntimeFeatures(binary) : { recursiveReadOnlyMounts: false, userNamespaces: false };
      return { name, features };
    }),
  );
  const response: StatusResponse = {
    status: { conditions: [runtime, network.condition] },
    runtimeHandlers: handlerFeatures,
    // A host-network pod in its own user namespace gets the node's /sys bound read-only (sysfs needs a netns of the pod's userns).
    features: { supplementalGroupsPolicy: true, mountOptions: true, userNamespacesHostNetwork: true },
    info: {},
  };
  if (request.verbose) {
    response.info = {
      config: JSON.stringify({ ...ctx.config, restrictOomScoreAdj: ctx.restrictOomScoreAdj }),
      cniconfig: JSON.stringify(network.configs),
      lastCNILoadStatus: network.condition.status ? 'OK' : network.condition.message ?? '',
    };
  }
  return response;
}
