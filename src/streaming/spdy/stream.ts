import { Duplex } from 'node:stream';
import { RstStatus, type SpdyHeaders } from './frames.js';

/** What a stream needs from its session (kept as an interface to avoid an import cycle). */
export interface StreamSink {
  sendReply(streamId: number): Promise<void>;
  sendData(streamId: number, data: Buffer, fin: boolean): Promise<void>;
  sendReset(streamId: number, status: number): Promise<void>;
  /** The stream's reader wants more: the session may resume reading the connection. */
  readResumed(stream: SpdyStream): void;
  /** The stream's reader is full: the session stops reading the connection until it drains. */
  readBlocked(stream: SpdyStream): void;
  forget(stream: SpdyStream): void;
}

/** Larger writes are cut into DATA frames of this size so streams interleave. */
const MAX_DATA_CHUNK = 32 * 1024;
/** Bytes a stream may buffer unread before the whole connection stops reading (SPDY has no usable per-stream backpressure with Go's spdystream). */
const READ_HIGH_WATER_MARK = 1024 * 1024;

/**
 * One SPDY stream opened by the peer, as a Duplex: reads are the peer's DATA,
 * writes become our DATA, end() sends FIN (half-close), destroy() before our
 * side finished sends RST_STREAM CANCEL. A peer FIN ends the readable side;
 * a peer RST ends it and destroys the stream without error.
 */
export class SpdyStream extends Duplex {
  readonly id: number;
  /** The peer's SYN_STREAM headers, lowercase names. */
  readonly headers: SpdyHeaders;
  /** We sent FIN or RST, or the peer sent RST: nothing more goes out. */
  private localFinished = false;
  private remoteFinished = false;

  constructor(
    private readonly sink: StreamSink,
    id: number,
    headers: SpdyHeaders,
    remoteFin: boolean,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: READ_HIGH_WATER_MARK });
    this.id = id;
    this.headers = headers;
    if (remoteFin) this.receiveFin();
    this.once('close', () => this.sink.forget(this));
  }

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Accepts the stream (SYN_REPLY with no headers, as Go's spdystream replies). */
  reply(): Promise<void> {
    return this.sink.sendReply(this.id);
  }

  /** Aborts the stream with RST_STREAM (unless our side already finished, as spdystream) and destroys it. */
  reset(status: number = RstStatus.Cancel): void {
    this.sendResetOnce(status);
    this.destroy();
  }

  get finishedLocally(): boolean {
    return this.localFinished;
  }

  /** @internal DATA from the peer. */
  receiveData(data: Buffer, fin: boolean): void {
    if (this.remoteFinished) return;
    if (data.length > 0 && !this.destroyed && !this.push(data)) this.sink.readBlocked(this);
    if (fin) this.receiveFin();
  }

  /** @internal */
  receiveFin(): void {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    this.push(null);
  }

  /** @internal RST_STREAM from the peer, or the connection went away. */
  receiveReset(): void {
    this.localFinished = true;
    this.receiveFin();
    this.destroy();
  }

  /** @internal The connection is gone: data the peer finished sending stays readable, the rest is aborted. */
  connectionLost(): void {
    if (!this.remoteFinished) {
      this.receiveReset();
      return;
    }
    this.localFinished = true;
    if (!this.writableEnded) this.end();
  }

  override _read(): void {
    this.sink.readResumed(this);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.localFinished) {
      callback();
      return;
    }
    let sent: Promise<void> = Promise.resolve();
    for (let offset = 0; offset < chunk.length; offset += MAX_DATA_CHUNK) {
      sent = this.sink.sendData(this.id, chunk.subarray(offset, offset + MAX_DATA_CHUNK), false);
    }
    sent.then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.localFinished) {
      callback();
      return;
    }
    this.localFinished = true;
    this.sink.sendData(this.id, Buffer.alloc(0), true).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.sendResetOnce(RstStatus.Cancel);
    callback(error);
  }

  private sendResetOnce(status: number): void {
    if (this.localFinished) return;
    this.localFinished = true;
    void this.sink.sendReset(this.id, status);
  }
}
