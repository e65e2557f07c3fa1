/**
 * ttrpc's message framing (containerd/ttrpc PROTOCOL.md): a 10-byte header,
 * big-endian data length (4 bytes), stream ID (4), message type (1) and flags
 * (1), then the data. Requests start odd-numbered streams from the client.
 */

export const TTRPC_HEADER_BYTES = 10;
/** The largest data a frame may carry; larger ones are refused. */
export const TTRPC_MAX_DATA_BYTES = 4 << 20;

export const TtrpcMessageType = {
  request: 0x1,
  response: 0x2,
  data: 0x3,
} as const;

export interface TtrpcFrame {
  streamId: number;
  type: number;
  flags: number;
  data: Buffer;
}

/** A peer broke the protocol (a frame no ttrpc speaker sends); the connection cannot go on. */
export class TtrpcProtocolError extends Error {
  override name = 'TtrpcProtocolError';
}

export function encodeTtrpcFrame(frame: TtrpcFrame): Buffer {
  if (frame.data.length > TTRPC_MAX_DATA_BYTES) {
    throw new TtrpcProtocolError(`a ttrpc message of ${frame.data.length} bytes exceeds the ${TTRPC_MAX_DATA_BYTES}-byte limit`);
  }
  const out = Buffer.allocUnsafe(TTRPC_HEADER_BYTES + frame.data.length);
  out.writeUInt32BE(frame.data.length, 0);
  out.writeUInt32BE(frame.streamId, 4);
  out.writeUInt8(frame.type, 8);
  out.writeUInt8(frame.flags, 9);
  frame.data.copy(out, TTRPC_HEADER_BYTES);
  return out;
}

/** Cuts a byte stream into ttrpc frames, however the bytes arrive. */
export class TtrpcFrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** The frames `chunk` completes; throws TtrpcProtocolError on a frame over the size limit. */
  push(chunk: Buffer): TtrpcFrame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: TtrpcFrame[] = [];
    while (this.pendingBytes >= TTRPC_HEADER_BYTES) {
      const head = this.peek(TTRPC_HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length > TTRPC_MAX_DATA_BYTES) {
        throw new TtrpcProtocolError(`peer sent a ttrpc message of ${length} bytes, over the ${TTRPC_MAX_DATA_BYTES}-byte limit`);
      }
      if (this.pendingBytes < TTRPC_HEADER_BYTES + length) break;
      const whole = this.take(TTRPC_HEADER_BYTES + length);
      frames.push({ streamId: whole.readUInt32BE(4), type: whole.readUInt8(8), flags: whole.readUInt8(9), data: whole.subarray(TTRPC_HEADER_BYTES) });
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.pending[0]!.length < n) this.pending = [Buffer.concat(this.pending)];
    return this.pending[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return all.subarray(0, n);
  }
}
