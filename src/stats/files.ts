import { closeSync, constants, openSync, readSync } from 'node:fs';

// Errors meaning "the cgroup / process / file is not there (any more)", which stats readers report as absent.
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENODEV', 'ESRCH']);

export function isAbsentError(err: unknown): boolean {
  return err instanceof Error && ABSENT.has((err as NodeJS.ErrnoException).code ?? '');
}

// The longest the event loop is kept by back-to-back reads before other work gets a turn.
const SLICE_MS = 2;
let sliceStart = performance.now();
let nextTurn: Promise<void> | undefined;

/** One promise for every reader waiting: it settles when the event loop has turned, which starts a new slice. */
function eventLoopTurn(): Promise<void> {
  nextTurn ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      nextTurn = undefined;
      sliceStart = performance.now();
      resolve();
    }),
  );
  return nextTurn;
}

/**
 * Runs `work` (synchronous reads of kernel files) once the event loop has had
 * a turn within the last SLICE_MS. Stats read kernel pseudo-files (cgroupfs,
 * procfs, sysfs), which never wait on a device: reading them synchronously
 * costs a fifth of the CPU of the threadpool's open/read/close round trips,
 * and slicing keeps other calls from waiting more than a couple of ms behind
 * a call that reads thousands. The check and the work share one synchronous
 * step, so callers started together cannot all pass the check first; the
 * readers one turn resumes check again, in turn.
 */
export async function withinSlice<T>(work: () => T): Promise<T> {
  while (performance.now() - sliceStart >= SLICE_MS) await eventLoopTurn();
  return work();
}

/** A kernel file's contents, or undefined when the file (or its cgroup/process) does not exist. */
export function readOptionalText(path: string): Promise<string | undefined> {
  return withinSlice(() => {
    try {
      return readKernelFile(path);
    } catch (err) {
      if (isAbsentError(err)) return undefined;
      throw err;
    }
  });
}

// One buffer for every read: reads are synchronous, so they never overlap.
let readBuffer = Buffer.allocUnsafe(64 * 1024);

/** open, read until end, close: what readFileSync does without its fstat, options and per-file buffer. */
function readKernelFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    let length = 0;
    for (;;) {
      if (length === readBuffer.length) readBuffer = Buffer.concat([readBuffer, Buffer.allocUnsafe(readBuffer.length)]);
      // Kernel files report size 0 and may return short reads before the end: read until 0 bytes.
      const bytes = readSync(fd, readBuffer, length, readBuffer.length - length, null);
      if (bytes === 0) return readBuffer.toString('utf8', 0, length);
      length += bytes;
    }
  } finally {
    closeSync(fd);
  }
}

const DIGITS = /^\d+$/;

/** A non-negative integer; undefined for "max", empty or garbage. BigInt because cgroup values reach 2^63. */
export function parseUint(text: string | undefined): bigint | undefined {
  const value = text?.trim();
  return value !== undefined && DIGITS.test(value) ? BigInt(value) : undefined;
}

/**
 * "key value" lines (memory.stat, cpu.stat) into a map, only the `wanted`
 * keys when given; unparsable values are dropped. Scans with indexOf rather
 * than splitting: a call at a hundred pods parses some twenty thousand lines.
 */
export function parseKeyedValues(text: string | undefined, wanted?: ReadonlySet<string>): Map<string, bigint> {
  const values = new Map<string, bigint>();
  if (text === undefined) return values;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    const gap = line.search(/\s/);
    if (gap <= 0) continue;
    const key = line.slice(0, gap);
    if (wanted && !wanted.has(key)) continue;
    const value = parseUint(line.slice(gap));
    if (value !== undefined) values.set(key, value);
  }
  return values;
}

/** Unix time in nanoseconds (as CRI timestamps are). */
export { nowEpochNs as nowNs } from '../clock.js';
