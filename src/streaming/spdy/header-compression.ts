import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';

// SPDY/3 compresses every header block with one zlib stream per direction that
// lives as long as the session, primed with the SPDY dictionary, each block
// ending in a sync flush (what Go's zlib.Writer.Flush does). Node has no public
// synchronous streaming zlib API, so each block is written, flushed and the
// output gathered; calls are chained so blocks keep their order.
//
// The stream is read in paused mode ('readable' + read()), not with 'data'
// events: a 'data' event may fire after the flush callback, which would hand
// part of one block to the next. Whatever zlib produced for a write has been
// pushed by the time its callback runs, so a read() there takes all of it.

/** A header block larger than this decompressed is refused (a zlib bomb, not headers). */
const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

class SyncFlushZlib {
  private chunks: Buffer[] = [];
  private size = 0;
  private failure: Error | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly stream: Deflate | Inflate) {
    stream.on('readable', () => this.drain());
    stream.on('error', (err: Error) => {
      this.failure = err;
    });
  }

  private drain(): void {
    for (let chunk: unknown = this.stream.read(); chunk !== null; chunk = this.stream.read()) {
      if (!Buffer.isBuffer(chunk)) continue;
      this.size += chunk.length;
      if (this.size > MAX_BLOCK_BYTES) this.failure ??= new Error('header block too large');
      else this.chunks.push(chunk);
    }
  }

  process(input: Buffer): Promise<Buffer> {
    const run = (): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        if (this.failure) {
          reject(this.failure);
          return;
        }
        this.stream.write(input);
        this.stream.flush(constants.Z_SYNC_FLUSH, () => {
          this.drain();
          const output = Buffer.concat(this.chunks);
          this.chunks = [];
          this.size = 0;
          if (this.failure) reject(this.failure);
          else resolve(output);
        });
      });
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.stream.destroy();
  }
}

export class HeaderCompressor {
  // Level 9 as Go's spdy framer (zlib.BestCompression).
  private readonly zlib = new SyncFlushZlib(createDeflate({ level: 9, dictionary: SPDY3_DICTIONARY }));

  compress(block: Buffer): Promise<Buffer> {
    return this.zlib.process(block);
  }

  close(): void {
    this.zlib.close();
  }
}

export class HeaderDecompressor {
  private readonly zlib = new SyncFlushZlib(createInflate({ dictionary: SPDY3_DICTIONARY }));

  decompress(compressed: Buffer): Promise<Buffer> {
    return this.zlib.process(compressed);
  }

  close(): void {
    this.zlib.close();
  }
}
