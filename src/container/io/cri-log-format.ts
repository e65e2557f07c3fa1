import { nowEpochNs } from '../../clock.js';
// The CRI container log format that kubelet reads (and rotates):
//
//   <RFC3339Nano timestamp> <stream> <tag> <content>\n
//
// tag F marks the end of a line (its newline is not repeated), tag P a piece
// of a line that continues in the next record. This follows containerd's
// pkg/cri/io/logger.go (redirectLogs):
//   - a trailing "\r\n" is dropped as a whole, a lone "\r" elsewhere is content;
//   - an empty line is an F record with empty content;
//   - once a line holds more than maxLineBytes bytes of content, the first
//     maxLineBytes are written as a P record and the rest continues; the last
//     piece is F when its newline arrives (a line of exactly maxLineBytes is one
//     F record); maxLineBytes <= 0 (the config's -1) never splits;
//   - content left at EOF without a newline is written as P record(s).
// Unlike Go's RFC3339Nano (which trims trailing zeros and uses local time), the
// timestamp here is always UTC with 9 fraction digits; kubelet parses both.

export type CriStream = 'stdout' | 'stderr';

const NS_PER_SEC = 1_000_000_000n;
const NEWLINE = 0x0a;
const CR = 0x0d;

let cachedSecond: bigint | undefined;
let cachedPrefix = '';

/** `2016-10-06T00:17:09.669794202Z`: UTC, always 9 fraction digits. */
export function formatTimestamp(epochNs: bigint): string {
  let seconds = epochNs / NS_PER_SEC;
  let fraction = epochNs % NS_PER_SEC;
  if (fraction < 0n) {
    fraction += NS_PER_SEC;
    seconds -= 1n;
  }
  if (seconds !== cachedSecond) {
    cachedPrefix = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
    cachedSecond = seconds;
  }
  return `${cachedPrefix}.${fraction.toString().padStart(9, '0')}Z`;
}

export { nowEpochNs };

export function nowTimestamp(): string {
  return formatTimestamp(nowEpochNs());
}

/**
 * Turns a byte stream into CRI log records. Binary-safe: content bytes are
 * copied unchanged, only "\n" (and a "\r" right before it) are interpreted.
 * Every call of `write` receives exactly one whole record.
 */
export class CriLogLineWriter {
  private readonly stream: CriStream;
  private readonly maxLineBytes: number;
  private readonly write: (line: string | Buffer) => void;
  private readonly now: () => string;
  /** Content of the current line not yet written (no newline in it). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;

  constructor(stream: CriStream, maxLineBytes: number, write: (line: string | Buffer) => void, now: () => string = nowTimestamp) {
    this.stream = stream;
    this.maxLineBytes = maxLineBytes > 0 ? Math.floor(maxLineBytes) : 0;
    this.write = write;
    this.now = now;
  }

  push(chunk: Buffer): void {
    if (this.ended) throw new Error(`CRI log writer for ${this.stream} already ended`);
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline < 0) break;
      const line = this.takePending(chunk.subarray(start, newline));
      const content = line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
      this.emitPieces(content, true);
      start = newline + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pending.push(rest);
      this.pendingBytes += rest.length;
      this.cutOverlong();
    }
  }

  /** EOF: what is left without a newline is written as P record(s). Idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.pendingBytes === 0) return;
    this.emitPieces(this.takePending(), false);
  }

  /** Writes P records while the pending line holds more content than allowed. */
  private cutOverlong(): void {
    const max = this.maxLineBytes;
    if (max === 0) return;
    // A trailing "\r" may turn out to be part of "\r\n", so it is not content yet.
    while (this.pendingBytes - (this.lastPendingByte() === CR ? 1 : 0) > max) {
      const all = this.takePending();
      this.writeRecord('P', all.subarray(0, max));
      const rest = all.subarray(max);
      this.pending = [rest];
      this.pendingBytes = rest.length;
    }
  }

  private lastPendingByte(): number | undefined {
    const last = this.pending[this.pending.length - 1];
    return last === undefined ? undefined : last[last.length - 1];
  }

  /** The pending bytes plus `tail` as one buffer; clears the pending state. */
  private takePending(tail?: Buffer): Buffer {
    const parts = tail === undefined ? this.pending : [...this.pending, tail];
    const joined = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.pending = [];
    this.pendingBytes = 0;
    return joined;
  }

  /** Splits `content` into maxLineBytes pieces: all P, the last one F if `complete`. */
  private emitPieces(content: Buffer, complete: boolean): void {
    const max = this.maxLineBytes;
    let offset = 0;
    while (max > 0 && content.length - offset > max) {
      this.writeRecord('P', content.subarray(offset, offset + max));
      offset += max;
    }
    this.writeRecord(complete ? 'F' : 'P', offset === 0 ? content : content.subarray(offset));
  }

  private writeRecord(tag: 'P' | 'F', content: Buffer): void {
    const header = `${this.now()} ${this.stream} ${tag} `;
    const headerBytes = Buffer.byteLength(header, 'latin1');
    const record = Buffer.allocUnsafe(headerBytes + content.length + 1);
    record.write(header, 0, 'latin1');
    content.copy(record, headerBytes);
    record[record.length - 1] = NEWLINE;
    this.write(record);
  }
}
