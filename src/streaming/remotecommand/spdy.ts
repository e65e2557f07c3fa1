import type { Duplex } from 'node:stream';
import type { Logger } from '../../log.js';
import { spdyRemoteCommandProtocol } from '../protocols.js';
import { ResizeDecoder, TerminalSizeQueue } from '../resize.js';
import { SpdySession } from '../spdy/session.js';
import type { SpdyStream } from '../spdy/stream.js';
import { encodeStatusJson, encodeStatusText } from '../status.js';
import type { RemoteCommandRunner, RemoteCommandStreams } from '../types.js';
import { flushWritable, runRemoteCommand, wantsStderr, type RemoteCommandRequest } from './run.js';

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';
const STREAM_TYPES: ReadonlySet<string> = new Set<StreamType>(['error', 'stdin', 'stdout', 'stderr', 'resize']);

export interface SpdyRemoteCommandOptions {
  transport: Duplex;
  /** The negotiated X-Stream-Protocol-Version. */
  protocol: string;
  request: RemoteCommandRequest;
  runner: RemoteCommandRunner;
  log: Logger;
  idleTimeoutMs: number;
  streamCreationTimeoutMs: number;
}

/**
 * exec/attach over an upgraded SPDY connection (kubelet's
 * remotecommand/httpstream.go): the client opens one stream per streamType,
 * we reply to each, wait for the expected set, run, then send the Status on
 * the error stream and close the session.
 */
export async function serveRemoteCommandSpdy(options: SpdyRemoteCommandOptions): Promise<void> {
  const { request, log } = options;
  const protocol = spdyRemoteCommandProtocol(options.protocol);
  const expected = new Set<StreamType>(['error']);
  if (request.stdin) expected.add('stdin');
  if (request.stdout) expected.add('stdout');
  if (wantsStderr(request)) expected.add('stderr');
  if (request.tty && protocol.resize) expected.add('resize');

  const received = new Map<StreamType, SpdyStream>();
  let allReceived: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    allReceived = resolve;
  });
  const session = new SpdySession(options.transport, {
    log,
    idleTimeoutMs: options.idleTimeoutMs,
    onStream: (stream) => {
      void stream.reply();
      const type = stream.header('streamType') ?? '';
      if (!STREAM_TYPES.has(type) || received.has(type as StreamType)) {
        log.warn({ streamType: type, streamId: stream.id }, 'unexpected stream, ignored');
        return;
      }
      received.set(type as StreamType, stream);
      if ([...expected].every((t) => received.has(t))) allReceived();
    },
  });

  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    session.closed.then(() => 'gone' as const),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.streamCreationTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    log.warn({ expected: [...expected], received: [...received.keys()], outcome }, 'client did not create the streams');
    await session.shutdown();
    return;
  }

  const errorStream = received.get('error');
  const stdin = expected.has('stdin') ? received.get('stdin') : undefined;
  const stdout = expected.has('stdout') ? received.get('stdout') : undefined;
  const stderr = expected.has('stderr') ? received.get('stderr') : undefined;
  // v1 clients get stdin's server half closed at once, as 1.0 kubelets did.
  if (options.protocol === 'channel.k8s.io') stdin?.end();

  const streams: RemoteCommandStreams = { clientGone: session.closed };
  if (stdin) streams.stdin = stdin;
  if (stdout) streams.stdout = stdout;
  if (stderr) streams.stderr = stderr;
  const resizeStream = expected.has('resize') ? received.get('resize') : undefined;
  if (resizeStream) streams.resize = resizeQueue(resizeStream);
  log.debug({ streams: [...received.keys()] }, 'streams ready');

  const status = await runRemoteCommand(request, options.runner, streams, log);
  await Promise.all([flushWritable(stdout), flushWritable(stderr)]);
  const message = protocol.status === 'json' ? encodeStatusJson(status) : encodeStatusText(status);
  if (errorStream && !errorStream.destroyed) {
    if (message) errorStream.write(message);
    await flushWritable(errorStream);
  }
  await session.shutdown();
}

function resizeQueue(stream: SpdyStream): TerminalSizeQueue {
  const queue = new TerminalSizeQueue();
  const decoder = new ResizeDecoder();
  stream.on('data', (chunk: Buffer) => {
    for (const size of decoder.write(chunk)) queue.push(size);
  });
  stream.once('end', () => queue.end());
  stream.once('close', () => queue.end());
  return queue;
}
