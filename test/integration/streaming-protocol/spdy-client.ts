import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Duplex } from 'node:stream';
import {
  FrameSplitter,
  RstStatus,
  decodeHeaderBlock,
  encodeHeaderBlock,
  hasHeaderBlock,
  parseFrame,
  serializeFrame,
  type SpdyFrame,
} from '../../../src/streaming/spdy/frames.js';
import { HeaderCompressor, HeaderDecompressor } from '../../../src/streaming/spdy/header-compression.js';

/** A stream the test client opened. */
export class ClientStream {
  readonly chunks: Buffer[] = [];
  /** Resolves on the server's FIN or RST_STREAM (or the connection closing). */
  readonly ended: Promise<void>;
  resetStatus: number | undefined;
  private finish: () => void = () => undefined;
  private isEnded = false;

  constructor(
    private readonly client: TestSpdyClient,
    readonly id: number,
  ) {
    this.ended = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  write(data: string | Buffer): Promise<void> {
    return this.client.send({ type: 'data', streamId: this.id, fin: false, data: Buffer.from(data) });
  }

  /** Half-close (DATA with FIN), as spdystream's Stream.Close. */
  end(): Promise<void> {
    return this.client.send({ type: 'data', streamId: this.id, fin: true, data: Buffer.alloc(0) });
  }

  reset(): Promise<void> {
    return this.client.send({ type: 'rst_stream', streamId: this.id, status: RstStatus.Cancel });
  }

  /** @internal */
  onFrame(frame: SpdyFrame): void {
    if (frame.type === 'data') {
      if (frame.data.length > 0) this.chunks.push(frame.data);
      if (frame.fin) this.close();
    } else if (frame.type === 'rst_stream') {
      this.resetStatus = frame.status;
      this.close();
    }
  }

  /** @internal */
  close(): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.finish();
  }
}

/**
 * A minimal SPDY/3.1 client built from the server's own codec, behaving like
 * Go's spdystream client: odd stream ids, waits for SYN_REPLY, echoes nothing.
 */
export class TestSpdyClient {
  readonly frames: SpdyFrame[] = [];
  readonly closed: Promise<void>;
  private readonly streams = new Map<number, ClientStream>();
  private readonly pendingReplies = new Map<number, { resolve: (s: ClientStream) => void; reject: (e: Error) => void }>();
  private readonly splitter = new FrameSplitter();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readChain: Promise<void> = Promise.resolve();
  private writeChain: Promise<void> = Promise.resolve();
  private nextId = 1;

  constructor(readonly transport: Duplex) {
    transport.on('data', (chunk: Buffer) => {
      for (const raw of this.splitter.push(chunk)) this.readChain = this.readChain.then(() => this.onRaw(raw)).catch(() => undefined);
    });
    transport.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      transport.once('close', async () => {
        await this.readChain; // frames that arrived before the close still count
        for (const s of this.streams.values()) s.close();
        for (const p of this.pendingReplies.values()) p.reject(new Error('connection closed'));
        this.compressor.close();
        this.decompressor.close();
        resolve();
      }),
    );
  }

  /** HTTP/1.1 upgrade to SPDY/3.1 as client-go's SpdyRoundTripper does it. */
  static async upgrade(
    url: string,
    protocols: string[],
  ): Promise<{ status: number; headers: Map<string, string[]>; body: string; client?: TestSpdyClient }> {
    const u = new URL(url);
    // https: kubelet's API, which serves a self-signed certificate
    const socket = u.protocol === 'https:' ? connectTls({ port: Number(u.port), host: u.hostname, rejectUnauthorized: false }) : connect(Number(u.port), u.hostname);
    const lines = [
      `POST ${u.pathname}${u.search} HTTP/1.1`,
      `Host: ${u.host}`,
      'Content-Length: 0',
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      ...protocols.map((p) => `X-Stream-Protocol-Version: ${p}`),
      '',
      '',
    ];
    socket.write(lines.join('\r\n'));
    let buffered = Buffer.alloc(0);
    const head = await new Promise<Buffer>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.pause();
        resolve(buffered);
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
    const end = head.indexOf('\r\n\r\n');
    const [statusLine = '', ...headerLines] = head.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    const headers = new Map<string, string[]>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    const rest = head.subarray(end + 4);
    if (status !== 101) {
      const body = await new Promise<string>((resolve) => {
        const parts = [rest];
        socket.on('data', (c: Buffer) => parts.push(c));
        socket.once('close', () => resolve(Buffer.concat(parts).toString('utf8')));
        socket.resume();
      });
      return { status, headers, body };
    }
    if (rest.length > 0) socket.unshift(rest);
    const client = new TestSpdyClient(socket);
    socket.resume();
    return { status, headers, body: '', client };
  }

  /** SYN_STREAM, then waits for the SYN_REPLY (rejects on RST_STREAM). */
  openStream(headers: Record<string, string>): Promise<ClientStream> {
    const id = this.nextId;
    this.nextId += 2;
    const stream = new ClientStream(this, id);
    this.streams.set(id, stream);
    const replied = new Promise<ClientStream>((resolve, reject) => this.pendingReplies.set(id, { resolve, reject }));
    const map = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]]));
    void this.send({ type: 'syn_stream', streamId: id, associatedToStreamId: 0, priority: 0, slot: 0, fin: false, unidirectional: false, headers: map });
    return replied;
  }

  send(frame: SpdyFrame): Promise<void> {
    const task = async (): Promise<void> => {
      const compressed = hasHeaderBlock(frame) ? await this.compressor.compress(encodeHeaderBlock(frame.headers)) : undefined;
      const bytes = serializeFrame(frame, compressed);
      if (this.transport.destroyed || this.transport.writableEnded) return;
      await new Promise<void>((resolve) => this.transport.write(bytes, () => resolve()));
    };
    const result = this.writeChain.then(task);
    this.writeChain = result.catch(() => undefined);
    return result;
  }

  ping(id: number): Promise<void> {
    return this.send({ type: 'ping', id });
  }

  /** As spdystream's Connection.Close: RST every stream, GOAWAY, then hang up. */
  async close(): Promise<void> {
    for (const s of this.streams.values()) await this.send({ type: 'rst_stream', streamId: s.id, status: RstStatus.Cancel });
    await this.send({ type: 'goaway', lastGoodStreamId: 0, status: 0 });
    this.transport.end();
  }

  private async onRaw(raw: Parameters<typeof parseFrame>[0]): Promise<void> {
    const { frame, compressedHeaders } = parseFrame(raw);
    if (hasHeaderBlock(frame) && compressedHeaders) {
      for (const [k, v] of decodeHeaderBlock(await this.decompressor.decompress(compressedHeaders))) frame.headers.set(k, v);
    }
    this.frames.push(frame);
    if (frame.type === 'syn_reply') {
      const pending = this.pendingReplies.get(frame.streamId);
      const stream = this.streams.get(frame.streamId);
      this.pendingReplies.delete(frame.streamId);
      if (pending && stream) pending.resolve(stream);
      return;
    }
    if (frame.type === 'rst_stream') {
      const pending = this.pendingReplies.get(frame.streamId);
      this.pendingReplies.delete(frame.streamId);
      pending?.reject(new Error(`stream ${frame.streamId} reset (${frame.status})`));
    }
    if (frame.type === 'goaway') for (const s of this.streams.values()) s.close();
    if (frame.type === 'data' || frame.type === 'rst_stream') this.streams.get(frame.streamId)?.onFrame(frame);
  }
}
