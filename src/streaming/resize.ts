import type { TerminalSize } from './types.js';

/**
 * Splits the resize stream into terminal sizes. Go clients write one JSON
 * object per resize ({"Width":80,"Height":24}\n, json.Encoder); objects may
 * arrive split or glued together, and Go's decoder matches field names
 * case-insensitively, so "width" is accepted too.
 */
export class ResizeDecoder {
  private pending = '';

  write(chunk: Buffer | string): TerminalSize[] {
    this.pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const sizes: TerminalSize[] = [];
    for (;;) {
      const start = this.pending.indexOf('{');
      if (start < 0) {
        this.pending = '';
        break;
      }
      const end = objectEnd(this.pending, start);
      if (end < 0) {
        this.pending = this.pending.slice(start);
        if (this.pending.length > 4096) this.pending = ''; // garbage, not a size
        break;
      }
      const size = toSize(this.pending.slice(start, end + 1));
      if (size) sizes.push(size);
      this.pending = this.pending.slice(end + 1);
    }
    return sizes;
  }
}

/** Index of the `}` closing the object opened at `start`, or -1 while incomplete. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function toSize(json: string): TerminalSize | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  let width: number | undefined;
  let height: number | undefined;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) continue;
    if (key.toLowerCase() === 'width') width = v;
    else if (key.toLowerCase() === 'height') height = v;
  }
  return width === undefined && height === undefined ? undefined : { width: width ?? 0, height: height ?? 0 };
}

/** Sizes waiting for the runner; bounded, the oldest dropped first (only the latest size matters). */
export class TerminalSizeQueue implements AsyncIterable<TerminalSize> {
  private readonly items: TerminalSize[] = [];
  private waiter: ((result: IteratorResult<TerminalSize>) => void) | undefined;
  private ended = false;

  constructor(private readonly limit = 64) {}

  push(size: TerminalSize): void {
    if (this.ended) return;
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = undefined;
      wake({ value: size, done: false });
      return;
    }
    this.items.push(size);
    if (this.items.length > this.limit) this.items.shift();
  }

  end(): void {
    this.ended = true;
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = undefined;
      wake({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<TerminalSize> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item) return Promise.resolve({ value: item, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
