import type { Duplex } from 'node:stream';
import type { Logger } from '../../log.js';
import { errorMessage } from '../../errors.js';
import {
  FrameSplitter,
  GoAwayStatus,
  RstStatus,
  SpdyProtocolError,
  decodeHeaderBlock,
  encodeHeaderBlock,
  hasHeaderBlock,
  parseFrame,
  serializeFrame,
  type RawFrame,
  type SpdyFrame,
} from './frames.js';
import { HeaderCompressor, HeaderDecompressor } from './header-compression.js';
import { SpdyStream, type StreamSink } from './stream.js';

export interface SpdySessionOptions {
  log: Logger;
  /** Called for each stream the client opens; the handler must reply() or reset() it. */
  onStream: (stream: SpdyStream) => void;
  /** Close the session after this long without a frame either way; 0 or absent: never. */
  idleTimeoutMs?: number;
  /** After our GOAWAY, how long to wait for the client to hang up before dropping the connection. */
  closeGraceMs?: number;
}

/**
 * The server side of a SPDY/3.1 session, as Go's moby/spdystream client
 * (client-go) speaks it: the client opens streams (odd ids), we reply, DATA
 * both ways with FIN half-close, RST_STREAM, PING echo, GOAWAY.
 *
 * Flow control is not enforced on sending: spdystream never sends
 * WINDOW_UPDATE (nor SETTINGS), so honouring the 64 KiB initial window would
 * stall every stream; kubelet's spdystream server does the same. WINDOW_UPDATE
 * and SETTINGS from the client are accepted and ignored.
 */
export class SpdySession implements StreamSink {
  /** Resolves when the underlying connection is closed. */
  readonly closed: Promise<void>;
  private readonly log: Logger;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly blocked = new Set<SpdyStream>();
  private readonly splitter = new FrameSplitter();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readChain: Promise<void> = Promise.resolve();
  private writeChain: Promise<void> = Promise.resolve();
  private lastClientStreamId = 0;
  private goAwaySent = false;
  private transportEnded = false;
  private transportClosed = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly transport: Duplex,
    private readonly options: SpdySessionOptions,
  ) {
    this.log = options.log;
    this.closed = new Promise((resolve) => {
      transport.once('close', () => {
        this.transportClosed = true;
        // Frames that arrived before the close (last stdin, FIN) are still delivered.
        void this.readChain.then(() => {
          this.onTransportGone();
          resolve();
        });
      });
    });
    transport.on('data', (chunk: Buffer) => this.onBytes(chunk));
    transport.on('end', () => this.endTransport());
    transport.on('error', (err: Error) => this.log.debug({ err: errorMessage(err) }, 'SPDY connection error'));
    this.touch();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Ends the session as kubelet does: RST_STREAM for every stream we have not
   * finished, GOAWAY, then half-close and wait (bounded) for the client to hang up.
   */
  async shutdown(): Promise<void> {
    if (this.transportClosed) return;
    for (const stream of [...this.streams.values()]) stream.reset(RstStatus.Cancel);
    this.sendGoAway(GoAwayStatus.Ok);
    // Keep reading (and discarding) so the client's last frames do not turn our close into a TCP reset.
    this.blocked.clear();
    this.transport.resume();
    this.endTransport();
    const grace = setTimeout(() => this.transport.destroy(), this.options.closeGraceMs ?? 5_000);
    await this.closed;
    clearTimeout(grace);
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.transport.destroy();
  }

  // StreamSink

  sendReply(streamId: number): Promise<void> {
    return this.send({ type: 'syn_reply', streamId, fin: false, headers: new Map() });
  }

  sendData(streamId: number, data: Buffer, fin: boolean): Promise<void> {
    return this.send({ type: 'data', streamId, fin, data });
  }

  sendReset(streamId: number, status: number): Promise<void> {
    return this.send({ type: 'rst_stream', streamId, status });
  }

  readBlocked(stream: SpdyStream): void {
    if (this.goAwaySent) return;
    this.blocked.add(stream);
    this.transport.pause();
  }

  readResumed(stream: SpdyStream): void {
    if (this.blocked.delete(stream) && this.blocked.size === 0) this.transport.resume();
  }

  forget(stream: SpdyStream): void {
    this.streams.delete(stream.id);
    this.readResumed(stream);
  }

  // Reading

  private onBytes(chunk: Buffer): void {
    this.touch();
    let frames: RawFrame[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const raw of frames) {
      // Header blocks decompress asynchronously, so frames are handled strictly in turn.
      this.readChain = this.readChain.then(() => this.handleRaw(raw)).catch((err: unknown) => this.fail(err));
    }
  }

  private async handleRaw(raw: RawFrame): Promise<void> {
    const { frame, compressedHeaders } = parseFrame(raw);
    if (hasHeaderBlock(frame) && compressedHeaders) {
      // Always decompress, even for frames we drop: the zlib context spans the session.
      const block = await this.decompressor.decompress(compressedHeaders);
      for (const [name, values] of decodeHeaderBlock(block, frame.streamId)) frame.headers.set(name, values);
    }
    this.handleFrame(frame);
  }

  private handleFrame(frame: SpdyFrame): void {
    switch (frame.type) {
      case 'syn_stream':
        this.onSynStream(frame);
        return;
      case 'data':
        this.streams.get(frame.streamId)?.receiveData(frame.data, frame.fin);
        return;
      case 'rst_stream': {
        const stream = this.streams.get(frame.streamId);
        this.log.debug({ streamId: frame.streamId, status: frame.status }, 'SPDY stream reset by client');
        stream?.receiveReset();
        return;
      }
      case 'ping':
        // Client pings have odd ids (ours would be even); echo them.
        if (frame.id % 2 === 1) void this.send(frame);
        return;
      case 'goaway':
        this.log.debug({ lastGoodStreamId: frame.lastGoodStreamId, status: frame.status }, 'SPDY GOAWAY from client');
        return;
      case 'headers':
        if (frame.fin) this.streams.get(frame.streamId)?.receiveFin();
        return;
      case 'syn_reply':
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private onSynStream(frame: Extract<SpdyFrame, { type: 'syn_stream' }>): void {
    if (this.goAwaySent || this.transportClosed) return; // as spdystream: no new streams after GOAWAY
    if (frame.streamId % 2 === 0 || frame.streamId <= this.lastClientStreamId) {
      void this.sendReset(frame.streamId, RstStatus.ProtocolError);
      return;
    }
    this.lastClientStreamId = frame.streamId;
    const stream = new SpdyStream(this, frame.streamId, frame.headers, frame.fin);
    this.streams.set(frame.streamId, stream);
    try {
      this.options.onStream(stream);
    } catch (err) {
      this.log.warn({ err: errorMessage(err), streamId: frame.streamId }, 'SPDY stream handler failed');
      stream.reset(RstStatus.InternalError);
    }
  }

  // Writing

  private send(frame: SpdyFrame): Promise<void> {
    const task = async (): Promise<void> => {
      if (this.transportEnded || this.transportClosed) return;
      const compressed = hasHeaderBlock(frame) ? await this.compressor.compress(encodeHeaderBlock(frame.headers)) : undefined;
      const bytes = serializeFrame(frame, compressed);
      if (this.transportEnded || this.transportClosed) return;
      this.touch();
      await new Promise<void>((resolve) => this.transport.write(bytes, () => resolve()));
    };
    const result = this.writeChain.then(task);
    this.writeChain = result.catch((err: unknown) => this.fail(err));
    return result;
  }

  private sendGoAway(status: number): void {
    if (this.goAwaySent) return;
    this.goAwaySent = true;
    void this.send({ type: 'goaway', lastGoodStreamId: this.lastClientStreamId, status }).catch(() => undefined);
  }

  /** Half-closes once everything queued is written. */
  private endTransport(): void {
    void this.writeChain.then(() => {
      if (this.transportEnded || this.transportClosed) return;
      this.transportEnded = true;
      this.transport.end();
    });
  }

  private fail(err: unknown): void {
    if (this.transportClosed) {
      this.log.debug({ err: errorMessage(err) }, 'SPDY frame dropped after the connection closed');
      return;
    }
    const streamId = err instanceof SpdyProtocolError ? err.streamId : 0;
    this.log.warn({ err: errorMessage(err), streamId }, 'SPDY protocol error, closing the connection');
    this.sendGoAway(GoAwayStatus.ProtocolError);
    this.endTransport();
    setTimeout(() => this.transport.destroy(), 1_000).unref();
  }

  private touch(): void {
    const timeout = this.options.idleTimeoutMs ?? 0;
    if (timeout <= 0 || this.transportClosed) return;
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.log.info({ idleTimeoutMs: timeout }, 'SPDY connection idle, closing');
      void this.shutdown();
    }, timeout);
    this.idleTimer.unref();
  }

  private onTransportGone(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const stream of [...this.streams.values()]) stream.connectionLost();
    this.streams.clear();
    this.blocked.clear();
    this.compressor.close();
    this.decompressor.close();
  }
}
