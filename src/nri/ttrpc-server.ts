import type { Request__Output } from '../generated/nri/ttrpc/Request.js';
import type { Response } from '../generated/nri/ttrpc/Response.js';
import type { MuxChannel } from './mux.js';
import { decodeMessage, encodeMessage } from './nri-wire.js';
import { StatusCode, TtrpcStatusError } from './ttrpc-client.js';
import { encodeTtrpcFrame, TtrpcFrameDecoder, TtrpcMessageType, TtrpcProtocolError } from './ttrpc-frame.js';

/** Answers one method: the encoded request in, the encoded response out; throw TtrpcStatusError for a status. */
export type TtrpcHandler = (payload: Buffer) => Promise<Buffer>;

/**
 * A ttrpc server over one multiplexed connection, for unary methods: each
 * request frame is decoded, handed to its method's handler, and answered on
 * its stream. Unknown methods and streaming requests answer UNIMPLEMENTED;
 * a frame that does not decode calls `onProtocolError`.
 */
export class TtrpcServer {
  private readonly decoder = new TtrpcFrameDecoder();

  constructor(
    private readonly channel: MuxChannel,
    private readonly handlers: ReadonlyMap<string, TtrpcHandler>,
    private readonly onProtocolError: (err: Error) => void,
  ) {
    channel.onData = (bytes) => this.receive(bytes);
  }

  private receive(bytes: Buffer): void {
    try {
      for (const frame of this.decoder.push(bytes)) {
        if (frame.type !== TtrpcMessageType.request) {
          throw new TtrpcProtocolError(`plugin sent a ttrpc frame of type ${frame.type} where only requests belong`);
        }
        let request: Request__Output;
        try {
          request = decodeMessage<Request__Output>('ttrpc.Request', frame.data);
        } catch (err) {
          throw new TtrpcProtocolError(`plugin sent a ttrpc request that does not decode: ${(err as Error).message}`);
        }
        void this.answer(frame.streamId, frame.flags, request);
      }
    } catch (err) {
      this.onProtocolError(err as Error);
    }
  }

  private async answer(streamId: number, flags: number, request: Request__Output): Promise<void> {
    let response: Response;
    const handler = flags === 0 ? this.handlers.get(`${request.service}/${request.method}`) : undefined;
    if (!handler) {
      const what = flags === 0 ? `method ${request.service}/${request.method}` : 'streaming';
      response = { status: { code: StatusCode.unimplemented, message: `${what} is not implemented by cri-ts` } };
    } else {
      try {
        response = { payload: await handler(request.payload) };
      } catch (err) {
        const code = err instanceof TtrpcStatusError ? err.code : StatusCode.internal;
        response = { status: { code, message: err instanceof Error ? err.message : String(err) } };
      }
    }
    this.channel.write(encodeTtrpcFrame({ streamId, type: TtrpcMessageType.response, flags: 0, data: encodeMessage('ttrpc.Response', response) }));
  }
}
