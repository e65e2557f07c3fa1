// Kubernetes' multiplexing over one WebSocket (k8s.io/streaming wsstream):
// every message starts with its channel number. Binary protocols put the
// channel in a byte before raw data; base64 protocols send text messages
// whose first character is the channel as an ASCII digit ('0' + n), then the
// data in standard base64. v5.channel.k8s.io adds a close signal: the binary
// message [255, n] half-closes channel n.

export type ChannelCodec = 'binary' | 'base64';

export const STREAM_CLOSE_SIGNAL = 255;

export type ChannelMessage =
  | { kind: 'data'; channel: number; data: Buffer }
  | { kind: 'close'; channel: number }
  /** Empty or malformed; wsstream skips these. */
  | { kind: 'ignore' };

/** One outgoing message; binary → Buffer (binary frame), base64 → string (text frame). */
export function encodeChannelMessage(codec: ChannelCodec, channel: number, data: Buffer): Buffer | string {
  if (codec === 'base64') return String.fromCharCode(48 + channel) + data.toString('base64');
  const frame = Buffer.allocUnsafe(data.length + 1);
  frame[0] = channel;
  data.copy(frame, 1);
  return frame;
}

export function decodeChannelMessage(codec: ChannelCodec, message: Buffer, supportsClose: boolean): ChannelMessage {
  if (message.length === 0) return { kind: 'ignore' };
  const first = message[0] ?? 0;
  if (supportsClose && first === STREAM_CLOSE_SIGNAL) {
    return message.length === 2 ? { kind: 'close', channel: message[1] ?? 0 } : { kind: 'ignore' };
  }
  if (codec === 'binary') return { kind: 'data', channel: first, data: message.subarray(1) };
  const channel = first - 48;
  if (channel < 0 || channel > 9) return { kind: 'ignore' };
  return { kind: 'data', channel, data: Buffer.from(message.subarray(1).toString('latin1'), 'base64') };
}
