import type { Duplex } from 'node:stream';
import type { Logger } from '../../log.js';
import { SpdySession } from '../spdy/session.js';
import type { SpdyStream } from '../spdy/stream.js';
import type { PortForwarder } from '../types.js';
import { parsePort, runForward } from './forward.js';

export interface SpdyPortForwardOptions {
  /** An upgraded HTTP connection, or a WebSocket tunnel carrying SPDY. */
  transport: Duplex;
  podSandboxId: string;
  forwarder: PortForwarder;
  log: Logger;
  idleTimeoutMs: number;
  streamCreationTimeoutMs: number;
}

interface Pair {
  requestId: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/**
 * port-forward over SPDY (kubelet's portforward/httpstream.go): for each local
 * connection the client opens an error stream and a data stream carrying the
 * same port and requestID headers; once both are there the pair is forwarded.
 * Runs until the client closes the connection.
 */
export async function servePortForwardSpdy(options: SpdyPortForwardOptions): Promise<void> {
  const { log } = options;
  const pairs = new Map<string, Pair>();

  const onStream = (stream: SpdyStream): void => {
    const port = parsePort(stream.header('port'));
    const streamType = stream.header('streamType');
    if (port === undefined || (streamType !== 'error' && streamType !== 'data')) {
      // kubelet rejects these in its new-stream handler, which resets the stream.
      log.warn({ streamId: stream.id, port: stream.header('port'), streamType }, 'port-forward stream rejected');
      stream.reset();
      return;
    }
    void stream.reply();
    const requestId = requestIdOf(stream, streamType);
    let pair = pairs.get(requestId);
    if (!pair) {
      const created: Pair = {
        requestId,
        timer: setTimeout(() => {
          pairs.delete(requestId);
          log.warn({ requestId }, 'port-forward timed out waiting for the stream pair');
          created.error?.end(`timed out waiting for streams of request ${requestId}`);
          created.data?.reset();
        }, options.streamCreationTimeoutMs),
      };
      pair = created;
      pairs.set(requestId, pair);
    }
    if (pair[streamType]) {
      pair.error?.write(`error processing stream for request ${requestId}: ${streamType} stream already assigned`);
      stream.reset();
      return;
    }
    pair[streamType] = stream;
    const { data, error } = pair;
    if (!data || !error) return;
    clearTimeout(pair.timer);
    pairs.delete(requestId);
    // The data stream's port is the one forwarded (kubelet reads it there).
    void forwardPair(options, parsePort(data.header('port')) ?? port, data, error);
  };

  const session = new SpdySession(options.transport, { log, idleTimeoutMs: options.idleTimeoutMs, onStream });
  await session.closed;
  for (const pair of pairs.values()) clearTimeout(pair.timer);
}

async function forwardPair(options: SpdyPortForwardOptions, port: number, data: SpdyStream, error: SpdyStream): Promise<void> {
  const log = options.log.child({ port, requestId: data.header('requestID') });
  await runForward(
    options.forwarder,
    {
      podSandboxId: options.podSandboxId,
      port,
      data,
      writeError: (message) => {
        if (!error.destroyed && !error.writableEnded) error.write(message);
      },
    },
    log,
  );
  // As kubelet: close (FIN) both streams when the forward is over; the client waits for the error stream's end.
  if (!data.destroyed && !data.writableEnded) data.end();
  if (!error.destroyed && !error.writableEnded) error.end();
}

/** Old clients send no requestID: kubelet derives one from consecutive stream ids (error n, data n+2). */
function requestIdOf(stream: SpdyStream, streamType: 'error' | 'data'): string {
  const id = stream.header('requestID');
  if (id !== undefined && id.length > 0) return id;
  return String(streamType === 'error' ? stream.id : stream.id - 2);
}
