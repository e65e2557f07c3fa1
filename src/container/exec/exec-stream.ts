import { CriError } from '../../errors.js';
import type { RemoteCommandResult, RemoteCommandStreams } from '../../streaming/types.js';
import type { Container } from '../container.js';
import type { ContainerContext } from '../container-context.js';
import { prepareExec } from './exec-process.js';
import { forwardResizes } from './resize.js';

const OUTPUT_DRAIN_MS = 2000;
/** An interactive exec runs as long as the user keeps it. */
const NO_TIMEOUT_MS = 365 * 24 * 3600 * 1000;

/**
 * Exec through the streaming server: the process gets a TTY or pipes as the
 * client asked, its output goes to the client as it comes, resize events go
 * to its console. When the client disconnects first, the process is killed.
 */
export async function execStreaming(
  ctx: ContainerContext,
  container: Container,
  request: { cmd: string[]; tty: boolean; stdin: boolean },
  streams: RemoteCommandStreams,
): Promise<RemoteCommandResult> {
  const log = ctx.log.child({ containerId: container.id });
  const exec = await prepareExec(ctx, container, request);
  const outputDone = Promise.all(
    [
      [exec.stdout, streams.stdout],
      [exec.stderr, streams.stderr],
    ].map(([reader, target]) => {
      if (!reader || !('socket' in reader)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        reader.socket.on('data', (chunk: Buffer) => (target && 'write' in target ? target.write(chunk) : undefined));
        reader.socket.once('end', () => resolve());
        reader.socket.once('close', () => resolve());
        reader.socket.once('error', () => resolve());
      });
    }),
  );
  try {
    try {
      await exec.start();
    } catch (err) {
      if (err instanceof CriError) return { error: err.message };
      throw err;
    }
    const stdin = exec.stdin;
    if (stdin && streams.stdin) {
      streams.stdin.pipe(stdin);
      stdin.once('finish', () => void exec.closeStdin());
    }
    if (request.tty && streams.resize) void forwardResizes(ctx, container.id, exec.execId, streams.resize, log);
    const waited = exec.wait(NO_TIMEOUT_MS);
    const outcome = await Promise.race([waited.then((exit) => ({ exit })), streams.clientGone.then(() => ({ gone: true as const }))]);
    if ('gone' in outcome) {
      log.info({ execId: exec.execId }, 'exec client disconnected; killing the process');
      await exec.kill();
      await waited.catch(() => undefined);
      return { error: 'client disconnected' };
    }
    await Promise.race([outputDone, new Promise((r) => setTimeout(r, OUTPUT_DRAIN_MS))]);
    return { exitCode: outcome.exit ?? 0 };
  } catch (err) {
    if (err instanceof CriError) return { error: err.message };
    throw err;
  } finally {
    await exec.dispose();
  }
}
