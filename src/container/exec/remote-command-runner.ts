import type { RemoteCommandRunner } from '../../streaming/types.js';
import type { ContainerRuntime } from '../container-runtime.js';
import { attachStreaming } from './attach.js';
import { execStreaming } from './exec-stream.js';

/** The streaming server's exec and attach, run against cri-ts's containers. */
export function containerRemoteCommandRunner(runtime: ContainerRuntime): RemoteCommandRunner {
  return {
    exec: (request, streams) => execStreaming(runtime, runtime.store.get(request.containerId), request, streams),
    attach: (request, streams) => attachStreaming(runtime, runtime.store.get(request.containerId), request, streams),
  };
}
