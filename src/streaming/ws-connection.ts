import { Duplex, Readable, Writable } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { decodeChannelMessage, encodeChannelMessage, type ChannelCodec } from './ws-channels.js';

export interface ChannelConnectionOptions {
  codec: ChannelCodec;
  /** v5: honour [255, channel] half-close messages. */
  closeSignal: boolean;
  /** Close the connection after this long without a message either way; 0: never. */
  idleTimeoutMs: number;
}

/**
 * A WebSocket carrying k8s channel messages (what wsstream.Conn does in Go):
 * readers per channel fed from incoming messages, writers per channel that
 * send messages. Channels nobody reads are ignored, as wsstream's IgnoreChannel.
 */
export class ChannelConnection {
  /** Resolves when the WebSocket is closed. */
  readonly closed: Promise<void>;
  private readonly readers = new Map<number, Readable>();
  private readonly ended = new Set<number>();
  private readonly blocked = new Set<number>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: ChannelConnectionOptions,
  ) {
    this.closed = new Promise((resolve) => {
      ws.once('close', () => {
        if (this.idleTimer) clearTimeout(this.idleTimer);
        for (const channel of this.readers.keys()) this.endReader(channel);
        resolve();
      });
    });
    ws.on('error', () => undefined); // 'close' follows; the handler logs the outcome
    ws.on('message', (data: RawData) => {
      this.touch();
      this.onMessage(toBuffer(data));
    });
    this.touch();
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Data the client sends on `channel`. Ends on the v5 close signal or when the connection closes. */
  reader(channel: number): Readable {
    const existing = this.readers.get(channel);
    if (existing) return existing;
    const reader = new Readable({
      read: () => {
        if (this.blocked.delete(channel) && this.blocked.size === 0) this.ws.resume();
      },
    });
    this.readers.set(channel, reader);
    if (!this.isOpen) this.endReader(channel);
    return reader;
  }

  /** Sends one message per write on `channel`; end() sends nothing (no half-close before v5, and servers never send it). */
  writer(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.send(channel, chunk).then(() => callback(), callback);
      },
    });
  }

  /** A channel pair as one Duplex: reads from `channel`, writes to it (port-forward data). */
  duplex(channel: number): Duplex {
    const reader = this.reader(channel);
    const duplex = new Duplex({
      read: () => {
        reader.resume();
      },
      write: (chunk: Buffer, _encoding, callback) => {
        this.send(channel, chunk).then(() => callback(), callback);
      },
    });
    reader.on('data', (chunk: Buffer) => {
      if (!duplex.push(chunk)) reader.pause();
    });
    reader.once('end', () => duplex.push(null));
    void this.closed.then(() => duplex.destroy());
    return duplex;
  }

  send(channel: number, data: Buffer): Promise<void> {
    if (!this.isOpen) return Promise.resolve();
    this.touch();
    const message = encodeChannelMessage(this.options.codec, channel, data);
    return new Promise((resolve) => {
      this.ws.send(message, { binary: typeof message !== 'string' }, () => resolve());
    });
  }

  /** Normal closure (1000): Go clients turn it into EOF on every stream. */
  async close(): Promise<void> {
    if (this.ws.readyState === this.ws.CLOSED) return;
    this.ws.close(1000);
    await this.closed;
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** Binary or text frames alike, as Go's x/net websocket receives them. */
  private onMessage(data: Buffer): void {
    const message = decodeChannelMessage(this.options.codec, data, this.options.closeSignal);
    if (message.kind === 'ignore') return;
    const reader = this.readers.get(message.channel);
    if (!reader || this.ended.has(message.channel)) return;
    if (message.kind === 'close') {
      this.endReader(message.channel);
      return;
    }
    if (message.data.length > 0 && !reader.push(message.data)) {
      this.blocked.add(message.channel);
      this.ws.pause();
    }
  }

  private endReader(channel: number): void {
    const reader = this.readers.get(channel);
    if (!reader || this.ended.has(channel)) return;
    this.ended.add(channel);
    if (!reader.destroyed) reader.push(null);
  }

  private touch(): void {
    if (this.options.idleTimeoutMs <= 0) return;
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => this.ws.terminate(), this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }
}


export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
