import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Duplex } from 'node:stream';

/**
 * Just enough of a WebSocket client to carry SPDY the way client-go's
 * tunnelling dialer does: the ws package's client refuses the subprotocol
 * name "SPDY/3.1+portforward.k8s.io" ('/' is not a token character).
 * Binary messages become a byte stream; writes become masked binary frames.
 */
export async function openRawWebSocket(url: string, protocol: string): Promise<{ stream: Duplex; protocol: string | undefined }> {
  const u = new URL(url);
  // wss: kubelet's API, which serves a self-signed certificate
  const socket = u.protocol === 'wss:' ? connectTls({ port: Number(u.port), host: u.hostname, rejectUnauthorized: false }) : connect(Number(u.port), u.hostname);
  const key = randomBytes(16).toString('base64');
  socket.write(
    [
      `GET ${u.pathname}${u.search} HTTP/1.1`,
      `Host: ${u.host}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${key}`,
      `Sec-WebSocket-Protocol: ${protocol}`,
      '',
      '',
    ].join('\r\n'),
  );
  let buffered = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.indexOf('\r\n\r\n') < 0) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  const end = buffered.indexOf('\r\n\r\n');
  const head = buffered.subarray(0, end).toString('latin1');
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`handshake failed: ${head.split('\r\n')[0]}`);
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  if (!head.includes(`Sec-WebSocket-Accept: ${accept}`)) throw new Error('bad Sec-WebSocket-Accept');
  const negotiated = /\r\nSec-WebSocket-Protocol: ([^\r]+)/i.exec(head)?.[1];

  let pending = buffered.subarray(end + 4);
  const stream = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _enc, callback) => socket.write(frame(0x2, chunk), callback),
    final: (callback) => {
      socket.write(frame(0x8, Buffer.from([0x03, 0xe8])), () => callback()); // close 1000
    },
  });
  const parse = (): void => {
    for (;;) {
      if (pending.length < 2) return;
      const opcode = (pending[0] ?? 0) & 0x0f;
      let length = (pending[1] ?? 0) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (pending.length < 4) return;
        length = pending.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (pending.length < 10) return;
        length = Number(pending.readBigUInt64BE(2));
        offset = 10;
      }
      if (pending.length < offset + length) return;
      const payload = pending.subarray(offset, offset + length);
      pending = pending.subarray(offset + length);
      if (opcode === 0x2 || opcode === 0x0) stream.push(payload);
      else if (opcode === 0x8) {
        stream.push(null);
        socket.end();
      } else if (opcode === 0x9) socket.write(frame(0xa, payload));
    }
  };
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    parse();
  });
  socket.once('close', () => stream.destroy());
  parse();
  return { stream, protocol: negotiated };
}

/** A masked client frame. */
function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const header =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
      : payload.length < 65536
        ? Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigLength(payload.length)]);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return Buffer.concat([header, mask, masked]);
}

function bigLength(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
