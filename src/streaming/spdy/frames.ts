// SPDY/3.1 frame layout (draft 3.1, section 2.2): an 8-byte header, then the
// payload. Header blocks of SYN_STREAM, SYN_REPLY and HEADERS are zlib
// compressed with one context per direction for the whole session, so this
// module only frames and unframes; compression is handed in by the caller.

export const SPDY_VERSION = 3;
/** 24-bit length field. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  FrameTooLarge: 11,
} as const;

export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

/** Header names are lowercase; a name may carry several values (NUL-separated on the wire). */
export type SpdyHeaders = Map<string, string[]>;

export type SpdyFrame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | {
      type: 'syn_stream';
      streamId: number;
      associatedToStreamId: number;
      priority: number;
      slot: number;
      fin: boolean;
      unidirectional: boolean;
      headers: SpdyHeaders;
    }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; clearSettings: boolean; entries: { flags: number; id: number; value: number }[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'headers'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'window_update'; streamId: number; deltaWindowSize: number }
  /** A control frame type this codec does not know; SPDY says to ignore it. */
  | { type: 'unknown'; frameType: number; flags: number; payload: Buffer };

/** One frame cut from the byte stream, payload not yet interpreted. */
export type RawFrame =
  | { control: true; version: number; frameType: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; payload: Buffer };

export class SpdyProtocolError extends Error {
  /** RST_STREAM status to answer with when the error concerns one stream. */
  readonly streamId: number;

  constructor(message: string, streamId = 0) {
    super(message);
    this.name = 'SpdyProtocolError';
    this.streamId = streamId;
  }
}

/** Cuts frames out of a byte stream that arrives in arbitrary chunks. */
export class FrameSplitter {
  private buffered: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): RawFrame[] {
    this.buffered.push(chunk);
    this.length += chunk.length;
    const frames: RawFrame[] = [];
    while (this.length >= 8) {
      const head = this.peek(8);
      const payloadLength = head.readUInt32BE(4) & 0xffffff;
      if (this.length < 8 + payloadLength) break;
      const bytes = this.take(8 + payloadLength);
      const first = bytes.readUInt32BE(0);
      const flags = bytes[4] ?? 0;
      const payload = bytes.subarray(8);
      if (first & 0x80000000) {
        frames.push({ control: true, version: (first >>> 16) & 0x7fff, frameType: first & 0xffff, flags, payload });
      } else {
        frames.push({ control: false, streamId: first & 0x7fffffff, flags, payload });
      }
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if ((this.buffered[0]?.length ?? 0) < n) this.buffered = [Buffer.concat(this.buffered)];
    return (this.buffered[0] ?? Buffer.alloc(0)).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.buffered.length === 1 ? (this.buffered[0] ?? Buffer.alloc(0)) : Buffer.concat(this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return out;
  }
}

/** Uncompressed header block: count, then (name length, name, value length, value) per header. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [u32(headers.size)];
  for (const [name, values] of headers) {
    const nameBytes = Buffer.from(name.toLowerCase(), 'utf8');
    const valueBytes = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(nameBytes.length), nameBytes, u32(valueBytes.length), valueBytes);
  }
  return Buffer.concat(parts);
}

const MAX_HEADER_COUNT = 1000;

export function decodeHeaderBlock(block: Buffer, streamId = 0): SpdyHeaders {
  const headers: SpdyHeaders = new Map();
  let offset = 0;
  const readU32 = (): number => {
    if (offset + 4 > block.length) throw new SpdyProtocolError('truncated header block', streamId);
    const value = block.readUInt32BE(offset);
    offset += 4;
    return value;
  };
  const readString = (): string => {
    const length = readU32();
    if (offset + length > block.length) throw new SpdyProtocolError('truncated header block', streamId);
    const value = block.toString('utf8', offset, offset + length);
    offset += length;
    return value;
  };
  const count = readU32();
  if (count > MAX_HEADER_COUNT) throw new SpdyProtocolError(`too many headers (${count})`, streamId);
  for (let i = 0; i < count; i++) {
    const name = readString().toLowerCase();
    const values = readString().split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}

/** First value of a header, names compared case-insensitively. */
export function headerValue(headers: SpdyHeaders, name: string): string | undefined {
  return headers.get(name.toLowerCase())?.[0];
}

/**
 * Interprets a raw frame. Header blocks come out still compressed in `compressedHeaders`
 * so the session can decompress them in wire order; `headers` is then filled by the caller.
 */
export function parseFrame(raw: RawFrame): { frame: SpdyFrame; compressedHeaders?: Buffer } {
  if (!raw.control) {
    if (raw.streamId === 0) throw new SpdyProtocolError('DATA frame on stream 0');
    return { frame: { type: 'data', streamId: raw.streamId, fin: (raw.flags & FLAG_FIN) !== 0, data: raw.payload } };
  }
  if (raw.version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${raw.version}`);
  const p = raw.payload;
  const need = (n: number): void => {
    if (p.length < n) throw new SpdyProtocolError(`control frame type ${raw.frameType} too short (${p.length} bytes)`);
  };
  const fin = (raw.flags & FLAG_FIN) !== 0;
  switch (raw.frameType) {
    case FrameType.SynStream: {
      need(10);
      const streamId = p.readUInt32BE(0) & 0x7fffffff;
      return {
        frame: {
          type: 'syn_stream',
          streamId,
          associatedToStreamId: p.readUInt32BE(4) & 0x7fffffff,
          priority: (p[8] ?? 0) >> 5,
          slot: p[9] ?? 0,
          fin,
          unidirectional: (raw.flags & FLAG_UNIDIRECTIONAL) !== 0,
          headers: new Map(),
        },
        compressedHeaders: p.subarray(10),
      };
    }
    case FrameType.SynReply:
    case FrameType.Headers: {
      need(4);
      const streamId = p.readUInt32BE(0) & 0x7fffffff;
      const type = raw.frameType === FrameType.SynReply ? 'syn_reply' : 'headers';
      return { frame: { type, streamId, fin, headers: new Map() }, compressedHeaders: p.subarray(4) };
    }
    case FrameType.RstStream:
      need(8);
      return { frame: { type: 'rst_stream', streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) } };
    case FrameType.Settings: {
      need(4);
      const count = p.readUInt32BE(0);
      if (count > (p.length - 4) / 8) throw new SpdyProtocolError('SETTINGS frame too short for its entries');
      const entries = [];
      for (let i = 0; i < count; i++) {
        const flagsAndId = p.readUInt32BE(4 + i * 8);
        entries.push({ flags: flagsAndId >>> 24, id: flagsAndId & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { frame: { type: 'settings', clearSettings: (raw.flags & 0x01) !== 0, entries } };
    }
    case FrameType.Ping:
      need(4);
      return { frame: { type: 'ping', id: p.readUInt32BE(0) } };
    case FrameType.GoAway:
      need(4);
      // SPDY/3 added the status word; tolerate its absence.
      return {
        frame: { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.length >= 8 ? p.readUInt32BE(4) : 0 },
      };
    case FrameType.WindowUpdate:
      need(8);
      return {
        frame: { type: 'window_update', streamId: p.readUInt32BE(0) & 0x7fffffff, deltaWindowSize: p.readUInt32BE(4) & 0x7fffffff },
      };
    default:
      return { frame: { type: 'unknown', frameType: raw.frameType, flags: raw.flags, payload: p } };
  }
}

/**
 * Serializes a frame. Frames with a header block need `compressedHeaders`,
 * the output of the session's compressor for encodeHeaderBlock(frame.headers).
 */
export function serializeFrame(frame: SpdyFrame, compressedHeaders?: Buffer): Buffer {
  const needHeaders = (): Buffer => {
    if (!compressedHeaders) throw new Error(`${frame.type} frame needs a compressed header block`);
    return compressedHeaders;
  };
  switch (frame.type) {
    case 'data': {
      if (frame.data.length > MAX_FRAME_PAYLOAD) throw new Error('DATA payload too large');
      const head = Buffer.alloc(8);
      head.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
      head.writeUInt32BE(frame.data.length, 4);
      head.writeUInt8(frame.fin ? FLAG_FIN : 0, 4); // flags share the length word's top byte
      return Buffer.concat([head, frame.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
      fixed.writeUInt32BE(frame.associatedToStreamId & 0x7fffffff, 4);
      fixed.writeUInt8((frame.priority & 0x7) << 5, 8);
      fixed.writeUInt8(frame.slot & 0xff, 9);
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      return control(FrameType.SynStream, flags, Buffer.concat([fixed, needHeaders()]));
    }
    case 'syn_reply':
    case 'headers':
      return control(
        frame.type === 'syn_reply' ? FrameType.SynReply : FrameType.Headers,
        frame.fin ? FLAG_FIN : 0,
        Buffer.concat([u32(frame.streamId & 0x7fffffff), needHeaders()]),
      );
    case 'rst_stream':
      return control(FrameType.RstStream, 0, Buffer.concat([u32(frame.streamId & 0x7fffffff), u32(frame.status)]));
    case 'settings': {
      const parts = [u32(frame.entries.length)];
      for (const e of frame.entries) parts.push(u32(((e.flags & 0xff) << 24) | (e.id & 0xffffff)), u32(e.value));
      return control(FrameType.Settings, frame.clearSettings ? 0x01 : 0, Buffer.concat(parts));
    }
    case 'ping':
      return control(FrameType.Ping, 0, u32(frame.id));
    case 'goaway':
      return control(FrameType.GoAway, 0, Buffer.concat([u32(frame.lastGoodStreamId & 0x7fffffff), u32(frame.status)]));
    case 'window_update':
      return control(FrameType.WindowUpdate, 0, Buffer.concat([u32(frame.streamId & 0x7fffffff), u32(frame.deltaWindowSize & 0x7fffffff)]));
    case 'unknown':
      return control(frame.frameType, frame.flags, frame.payload);
  }
}

export function hasHeaderBlock(frame: SpdyFrame): frame is Extract<SpdyFrame, { headers: SpdyHeaders }> {
  return frame.type === 'syn_stream' || frame.type === 'syn_reply' || frame.type === 'headers';
}

function control(frameType: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new Error('control frame payload too large');
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(frameType, 2);
  head.writeUInt32BE(payload.length, 4);
  head.writeUInt8(flags & 0xff, 4); // flags share the length word's top byte
  return Buffer.concat([head, payload]);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}
