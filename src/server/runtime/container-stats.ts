import { InvalidArgumentError } from '../../errors.js';
import type { ContainerStatsRequest__Output } from '../../generated/cri/runtime/v1/ContainerStatsRequest.js';
import type { ContainerStatsResponse } from '../../generated/cri/runtime/v1/ContainerStatsResponse.js';
import type { ServerContext } from '../context.js';
import { toContainerStats } from './stats-view.js';

export async function containerStats(ctx: ServerContext, request: ContainerStatsRequest__Output): Promise<ContainerStatsResponse> {
  await ctx.recovered;
  if (request.containerId === '') throw new InvalidArgumentError('container_id is empty');
  return { stats: toContainerStats(await ctx.stats.container(ctx.containers.get(request.containerId))) };
}
