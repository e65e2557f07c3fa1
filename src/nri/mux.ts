import type { Duplex } from 'node:stream';
import { TTRPC_HEADER_BYTES, TTRPC_MAX_DATA_BYTES, TtrpcProtocolError } from './ttrpc-frame.js';

/**
 * The connection multiplexing of containerd/nri (pkg/net/multiplex): one
 * socket carries several byte streams, each frame an 8-byte header (the
 * stream's connection ID and the payload length, both big-endian uint32)
 * and the payload. NRI runs two ttrpc connections over it.
 */
export const MuxConn = {
  /** The plugin serves its Plugin service here; the runtime is the ttrpc client. */
  pluginService: 1,
  /** The runtime serves its Runtime service here; the plugin is the client. */
  runtimeService: 2,
} as const;

export const MUX_HEADER_BYTES = 8;
/** The largest payload one mux frame carries: a whole ttrpc frame. */
export const MUX_MAX_PAYLOAD_BYTES = TTRPC_HEADER_BYTES + TTRPC_MAX_DATA_BYTES;
/**
 * A Go peer reads each mux frame into its ttrpc reader's buffer, 4096 bytes
 * (Go's bufio default), and refuses a frame larger than the room it reads
 * into. A message's first frame therefore carries at most this much; the
 * rest goes in one further frame, which the reader takes straight into the
 * message body it is filling (the way Go's own buffered writer splits it).
 */
export const MUX_FIRST_FRAME_BYTES = 4096;

/** The mux frames carrying `message` (one whole ttrpc frame) on connection `connId`. */
export function muxFrames(connId: number, message: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let offset = 0;
  let limit = MUX_FIRST_FRAME_BYTES;
  while (offset < message.length || frames.length === 0) {
    const size = Math.min(limit, message.length - offset);
    const header = Buffer.allocUnsafe(MUX_HEADER_BYTES);
    header.writeUInt32BE(connId, 0);
    header.writeUInt32BE(size, 4);
    frames.push(header, message.subarray(offset, offset + size));
    offset += size;
    limit = MUX_MAX_PAYLOAD_BYTES;
  }
  return frames;
}

/** Cuts the socket's byte stream into (connection, payload) frames. */
export class MuxFrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ connId: number; payload: Buffer }> {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Array<{ connId: number; payload: Buffer }> = [];
    while (this.pending.length >= MUX_HEADER_BYTES) {
      const connId = this.pending.readUInt32BE(0);
      const length = this.pending.readUInt32BE(4);
      if (length > MUX_MAX_PAYLOAD_BYTES) throw new TtrpcProtocolError(`peer sent a mux frame of ${length} bytes, over the ${MUX_MAX_PAYLOAD_BYTES}-byte limit`);
      if (this.pending.length < MUX_HEADER_BYTES + length) break;
      frames.push({ connId, payload: this.pending.subarray(MUX_HEADER_BYTES, MUX_HEADER_BYTES + length) });
      this.pending = this.pending.subarray(MUX_HEADER_BYTES + length);
    }
    return frames;
  }
}

/** The plugin closed its end of the socket. */
export class PeerClosedError extends Error {
  override name = 'PeerClosedError';
}

/** One multiplexed connection: what its peer sends arrives at `onData`; `write` sends one whole message. */
export interface MuxChannel {
  write(message: Buffer): void;
  onData: ((bytes: Buffer) => void) | undefined;
}

/**
 * Demultiplexes a socket into its connections and multiplexes writes back.
 * Frames for connections nobody opened are dropped, as the Go side does. A
 * malformed frame or a socket error closes everything; `closed` settles
 * then, with the reason.
 */
export class Multiplexer {
  private readonly channels = new Map<number, MuxChannel>();
  private readonly decoder = new MuxFrameDecoder();
  private closeReason: Error | undefined;
  private notifyClosed!: (reason: Error) => void;
  readonly closed: Promise<Error>;

  constructor(private readonly socket: Duplex) {
    this.closed = new Promise((resolve) => {
      this.notifyClosed = resolve;
    });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err: Error) => this.close(err));
    socket.on('close', () => this.close(new PeerClosedError('the plugin closed its connection')));
    socket.on('end', () => this.close(new PeerClosedError('the plugin closed its connection')));
  }

  open(connId: number): MuxChannel {
    const existing = this.channels.get(connId);
    if (existing) return existing;
    const channel: MuxChannel = {
      onData: undefined,
      write: (message) => {
        if (this.closeReason) return;
        this.socket.cork();
        for (const frame of muxFrames(connId, message)) this.socket.write(frame);
        this.socket.uncork();
      },
    };
    this.channels.set(connId, channel);
    return channel;
  }

  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  close(reason: Error = new Error('connection closed by cri-ts')): void {
    if (this.closeReason) return;
    this.closeReason = reason;
    this.socket.destroy();
    this.notifyClosed(reason);
  }

  private receive(chunk: Buffer): void {
    if (this.closeReason) return;
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.close(err as Error);
      return;
    }
    for (const { connId, payload } of frames) {
      this.channels.get(connId)?.onData?.(payload);
      if (this.closeReason) return;
    }
  }
}
