import type { Request } from '../generated/nri/ttrpc/Request.js';
import type { Response__Output } from '../generated/nri/ttrpc/Response.js';
import type { MuxChannel } from './mux.js';
import { decodeMessage, encodeMessage } from './nri-wire.js';
import { encodeTtrpcFrame, TtrpcFrameDecoder, TtrpcMessageType, TtrpcProtocolError } from './ttrpc-frame.js';

/** gRPC status codes the NRI exchange tells apart. */
export const StatusCode = {
  ok: 0,
  deadlineExceeded: 4,
  resourceExhausted: 8,
  unimplemented: 12,
  internal: 13,
} as const;

/** The peer answered with a non-OK status (its handler failed or does not exist). */
export class TtrpcStatusError extends Error {
  override name = 'TtrpcStatusError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** No answer within the call's timeout. */
export class TtrpcTimeoutError extends Error {
  override name = 'TtrpcTimeoutError';
}

/** The connection closed before the answer came. */
export class TtrpcClosedError extends Error {
  override name = 'TtrpcClosedError';
}

/**
 * The deadline the peer is told is this much earlier than ours, so an
 * answer it gives at its deadline still reaches us before ours passes.
 */
export function wireTimeoutMs(timeoutMs: number): number {
  return timeoutMs - Math.min(500, Math.max(20, timeoutMs * 0.05));
}

interface PendingCall {
  resolve(payload: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A ttrpc client over one multiplexed connection: unary calls on
 * odd-numbered streams, each answered by one response frame. A frame no
 * ttrpc server sends calls `onProtocolError`; the owner closes the connection.
 */
export class TtrpcClient {
  private nextStreamId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly decoder = new TtrpcFrameDecoder();
  private closedBy: Error | undefined;

  constructor(
    private readonly channel: MuxChannel,
    private readonly onProtocolError: (err: Error) => void,
  ) {
    channel.onData = (bytes) => this.receive(bytes);
  }

  /** Calls `service`/`method` with an encoded request; resolves to the encoded answer. */
  call(service: string, method: string, payload: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.closedBy) return Promise.reject(new TtrpcClosedError(`cannot call ${method}: ${this.closedBy.message}`));
    const streamId = this.nextStreamId;
    this.nextStreamId += 2;
    const request: Request = { service, method, payload, timeoutNano: String(Math.max(1, wireTimeoutMs(timeoutMs)) * 1_000_000), metadata: [] };
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(streamId);
        reject(new TtrpcTimeoutError(`${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(streamId, { resolve, reject, timer });
      this.channel.write(encodeTtrpcFrame({ streamId, type: TtrpcMessageType.request, flags: 0, data: encodeMessage('ttrpc.Request', request) }));
    });
  }

  /** Fails every call in flight, and every later one. */
  close(reason: Error): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    for (const [, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(new TtrpcClosedError(reason.message));
    }
    this.pending.clear();
  }

  private receive(bytes: Buffer): void {
    try {
      for (const frame of this.decoder.push(bytes)) {
        if (frame.type !== TtrpcMessageType.response) {
          throw new TtrpcProtocolError(`plugin sent a ttrpc frame of type ${frame.type} where only responses belong`);
        }
        const call = this.pending.get(frame.streamId);
        // An answer after its call timed out is dropped, as ttrpc does.
        if (!call) continue;
        this.pending.delete(frame.streamId);
        clearTimeout(call.timer);
        let response: Response__Output;
        try {
          response = decodeMessage<Response__Output>('ttrpc.Response', frame.data);
        } catch (err) {
          const problem = new TtrpcProtocolError(`plugin sent a ttrpc response that does not decode: ${(err as Error).message}`);
          call.reject(problem);
          throw problem;
        }
        if (response.status && response.status.code !== StatusCode.ok) call.reject(new TtrpcStatusError(response.status.code, response.status.message));
        else call.resolve(response.payload);
      }
    } catch (err) {
      this.onProtocolError(err as Error);
    }
  }
}
