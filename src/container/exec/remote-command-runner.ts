import type { RemoteCommandRunner } from '../../streaming/types.js';
import type { ContainerContext } from '../container-context.js';
import { attachStreaming } from './attach.js';
import { execStreaming } from './exec-stream.js';

/** The streaming server's exec and attach, run against cri-ts's containers. */
export function containerRemoteCommandRunner(ctx: ContainerContext): RemoteCommandRunner {
  return {
    exec: (request, streams) => execStreaming(ctx, ctx.store.get(request.containerId), request, streams),
    attach: (request, streams) => attachStreaming(ctx, ctx.store.get(request.containerId), request, streams),
  };
}
