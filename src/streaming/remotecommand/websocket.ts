import type { WebSocket } from 'ws';
import type { Logger } from '../../log.js';
import type { WebSocketChannelProtocol } from '../protocols.js';
import { ResizeDecoder, TerminalSizeQueue } from '../resize.js';
import { encodeStatusJson, encodeStatusText } from '../status.js';
import type { RemoteCommandRunner, RemoteCommandStreams } from '../types.js';
import { ChannelConnection } from '../ws-connection.js';
import { flushWritable, runRemoteCommand, wantsStderr, type RemoteCommandRequest } from './run.js';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;

export interface WebSocketRemoteCommandOptions {
  ws: WebSocket;
  protocol: WebSocketChannelProtocol;
  request: RemoteCommandRequest;
  runner: RemoteCommandRunner;
  log: Logger;
  idleTimeoutMs: number;
}

/**
 * exec/attach over a WebSocket with channel framing (kubelet's
 * remotecommand/websocket.go): channels 0 stdin, 1 stdout, 2 stderr,
 * 3 error (Status), 4 resize; the Status goes on channel 3, then a normal close.
 */
export async function serveRemoteCommandWebSocket(options: WebSocketRemoteCommandOptions): Promise<void> {
  const { request, log, protocol } = options;
  const conn = new ChannelConnection(options.ws, {
    codec: protocol.codec,
    closeSignal: protocol.closeSignal,
    idleTimeoutMs: options.idleTimeoutMs,
  });
  const streams: RemoteCommandStreams = { clientGone: conn.closed };
  if (request.stdin) streams.stdin = conn.reader(STDIN);
  if (request.stdout) streams.stdout = conn.writer(STDOUT);
  if (wantsStderr(request)) streams.stderr = conn.writer(STDERR);
  if (request.tty) streams.resize = resizeQueue(conn);

  // As kubelet: an empty message on the lowest writable channel tells the client the session is up.
  await conn.send(request.stdout ? STDOUT : wantsStderr(request) ? STDERR : ERROR, Buffer.alloc(0));

  const status = await runRemoteCommand(request, options.runner, streams, log);
  await Promise.all([flushWritable(streams.stdout), flushWritable(streams.stderr)]);
  const message = protocol.status === 'json' ? encodeStatusJson(status) : encodeStatusText(status);
  if (message) await conn.send(ERROR, message);
  await conn.close();
}

function resizeQueue(conn: ChannelConnection): TerminalSizeQueue {
  const queue = new TerminalSizeQueue();
  const decoder = new ResizeDecoder();
  const reader = conn.reader(RESIZE);
  reader.on('data', (chunk: Buffer) => {
    for (const size of decoder.write(chunk)) queue.push(size);
  });
  reader.once('end', () => queue.end());
  return queue;
}
