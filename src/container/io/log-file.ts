// A container's CRI log file: whole records appended in order, one write at a
// time. Like containerd: directory created 0755, file opened
// O_CREAT|O_APPEND|O_WRONLY 0640, and a failed write is logged and dropped so
// the container's output keeps draining.

import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../log.js';
import { FailedPreconditionError, errorMessage } from '../../errors.js';

const MAX_BATCH_BYTES = 1024 * 1024;
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

type QueueItem = Buffer | (() => Promise<void>);

async function openLog(path: string): Promise<FileHandle> {
  // The directory is made only when missing: a restart reopens every running container's log at
  // once, and a recursive mkdir before each open was the larger part of that.
  try {
    return await open(path, 'a', 0o640);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  return open(path, 'a', 0o640);
}

export interface LogFileOptions {
  /** write() returns false once this many bytes are queued (default 1 MiB). */
  highWaterMark?: number;
}

export class LogFile {
  readonly path: string;
  private handle: FileHandle;
  private readonly log: Logger;
  private readonly highWaterMark: number;
  private readonly queue: QueueItem[] = [];
  private queuedBytes = 0;
  private running = false;
  private failing = false;
  private closing: Promise<void> | undefined;

  private constructor(path: string, handle: FileHandle, log: Logger, highWaterMark: number) {
    this.path = path;
    this.handle = handle;
    this.log = log;
    this.highWaterMark = highWaterMark;
  }

  /** Opens (creating it and its directory if needed) `path` for appending. */
  static async open(path: string, log: Logger, options: LogFileOptions = {}): Promise<LogFile> {
    const handle = await openLog(path);
    return new LogFile(path, handle, log.child({ logPath: path }), options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK);
  }

  /**
   * Queues whole records for appending. Returns false when the queue is above
   * the high-water mark: the caller should stop reading until flush() resolves.
   * Writes after close() are dropped.
   */
  write(data: string | Buffer): boolean {
    if (this.closing) return true;
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    if (buffer.length === 0) return this.queuedBytes < this.highWaterMark;
    this.queue.push(buffer);
    this.queuedBytes += buffer.length;
    this.run();
    return this.queuedBytes < this.highWaterMark;
  }

  /** Resolves once everything queued before the call is written (or dropped after a write error). */
  flush(): Promise<void> {
    return this.enqueueOp(async () => {});
  }

  /**
   * For ReopenContainerLog after kubelet renamed the file: once the records
   * queued before the call are written, opens the path again and closes the
   * old descriptor. Records queued afterwards go to the new file. If the path
   * cannot be opened, the old file stays in use and the promise rejects.
   */
  reopen(): Promise<void> {
    if (this.closing) return Promise.reject(new FailedPreconditionError(`log file ${this.path} is closed`));
    return this.enqueueOp(async () => {
      const next = await openLog(this.path);
      const previous = this.handle;
      this.handle = next;
      this.failing = false;
      await previous.close().catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'closing the rotated container log failed'));
    });
  }

  /** Writes what is queued, then closes the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.enqueueOp(async () => {
      await this.handle.close().catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'closing the container log failed'));
    });
    return this.closing;
  }

  private enqueueOp(op: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push(() => op().then(resolve, reject));
      this.run();
    });
  }

  private run(): void {
    if (this.running) return;
    this.running = true;
    void this.drainQueue().finally(() => {
      this.running = false;
      // An op queued while the loop was finishing.
      if (this.queue.length > 0) this.run();
    });
  }

  private async drainQueue(): Promise<void> {
    for (;;) {
      const first = this.queue[0];
      if (first === undefined) return;
      if (typeof first === 'function') {
        this.queue.shift();
        // Ops settle their own promise; a rejection here was already delivered.
        await first().catch(() => {});
        continue;
      }
      let count = 0;
      let bytes = 0;
      for (let item = this.queue[0]; Buffer.isBuffer(item) && (count === 0 || bytes + item.length <= MAX_BATCH_BYTES); item = this.queue[++count]) {
        bytes += item.length;
      }
      const batch = this.queue.splice(0, count) as Buffer[];
      await this.writeAll(batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, bytes));
      this.queuedBytes -= bytes;
    }
  }

  private async writeAll(buffer: Buffer): Promise<void> {
    try {
      let offset = 0;
      while (offset < buffer.length) {
        const { bytesWritten } = await this.handle.write(buffer, offset, buffer.length - offset);
        offset += bytesWritten;
      }
      if (this.failing) this.log.info('writing the container log works again');
      this.failing = false;
    } catch (err) {
      // Like containerd: drop the records and keep draining the container's output.
      if (!this.failing) this.log.error({ err: errorMessage(err) }, 'writing the container log failed; dropping output until it works again');
      this.failing = true;
    }
  }
}
