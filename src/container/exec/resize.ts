import type { Logger } from '../../log.js';
import type { TerminalSize } from '../../streaming/types.js';
import type { ContainerContext } from '../container-context.js';

/** Applies the client's terminal size changes to the process's console until the client stops sending them. */
export async function forwardResizes(ctx: ContainerContext, containerId: string, execId: string, sizes: AsyncIterable<TerminalSize>, log: Logger): Promise<void> {
  try {
    for await (const size of sizes) {
      if (size.width <= 0 || size.height <= 0) continue;
      await ctx.containerd.tasks.ResizePty({ containerId, execId, width: size.width, height: size.height }).catch((err: unknown) => {
        log.debug({ err, execId }, 'terminal resize failed');
      });
    }
  } catch (err) {
    log.debug({ err }, 'resize stream ended with an error');
  }
}
