import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CriLogLineWriter, formatTimestamp, nowEpochNs, nowTimestamp, type CriStream } from '../../../../src/container/io/cri-log-format.js';

/** Feeds chunks through a writer with a fixed timestamp and returns the records as strings. */
function records(chunks: Array<string | Buffer>, maxLineBytes: number, options: { stream?: CriStream; end?: boolean } = {}): string[] {
  const out: string[] = [];
  const writer = new CriLogLineWriter(options.stream ?? 'stdout', maxLineBytes, (line) => out.push(line.toString()), () => 'TS');
  for (const chunk of chunks) writer.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  if (options.end !== false) writer.end();
  return out;
}

describe('CriLogLineWriter', () => {
  it('writes full lines as F records, several per chunk, with the stream name', () => {
    assert.deepEqual(records(['hello\nworld\n'], 16384), ['TS stdout F hello\n', 'TS stdout F world\n']);
    assert.deepEqual(records(['oops\n'], 16384, { stream: 'stderr' }), ['TS stderr F oops\n']);
  });

  it('joins a line split across chunks and writes it once its newline arrives', () => {
    const out: string[] = [];
    const writer = new CriLogLineWriter('stdout', 16384, (line) => out.push(line.toString()), () => 'TS');
    writer.push(Buffer.from('par'));
    writer.push(Buffer.from('tial'));
    assert.deepEqual(out, [], 'nothing written before the newline');
    writer.push(Buffer.from(' done\nnext'));
    assert.deepEqual(out, ['TS stdout F partial done\n']);
    writer.push(Buffer.from(' line\n'));
    assert.deepEqual(out, ['TS stdout F partial done\n', 'TS stdout F next line\n']);
  });

  it('cuts a line longer than maxLineBytes into P pieces and ends it with F', () => {
    assert.deepEqual(records(['abcdefghij\n'], 4), ['TS stdout P abcd\n', 'TS stdout P efgh\n', 'TS stdout F ij\n']);
    // The same line arriving byte by byte: P records go out as soon as more than max bytes are pending.
    const out: string[] = [];
    const writer = new CriLogLineWriter('stdout', 4, (line) => out.push(line.toString()), () => 'TS');
    for (const byte of Buffer.from('abcde')) writer.push(Buffer.from([byte]));
    assert.deepEqual(out, ['TS stdout P abcd\n']);
    for (const byte of Buffer.from('fghij\n')) writer.push(Buffer.from([byte]));
    assert.deepEqual(out, ['TS stdout P abcd\n', 'TS stdout P efgh\n', 'TS stdout F ij\n']);
  });

  it('writes a line of exactly maxLineBytes (or a multiple) without an empty F record', () => {
    assert.deepEqual(records(['abcd\n'], 4), ['TS stdout F abcd\n']);
    assert.deepEqual(records(['abcdefgh\n'], 4), ['TS stdout P abcd\n', 'TS stdout F efgh\n']);
    assert.deepEqual(records(['ab', 'cd', '\n'], 4), ['TS stdout F abcd\n']);
  });

  it('never splits with maxLineBytes -1', () => {
    const long = 'x'.repeat(100_000);
    assert.deepEqual(records([long.slice(0, 30_000), long.slice(30_000), '\n'], -1), [`TS stdout F ${long}\n`]);
  });

  it('drops a trailing \\r\\n like containerd and keeps a lone \\r', () => {
    assert.deepEqual(records(['dos\r\nmac\rstyle\n'], 16384), ['TS stdout F dos\n', 'TS stdout F mac\rstyle\n']);
    assert.deepEqual(records(['split\r', '\nnext\n'], 16384), ['TS stdout F split\n', 'TS stdout F next\n']);
    // A "\r" pending at the cut point is not counted until it is known not to precede "\n".
    assert.deepEqual(records(['abcd\r', '\n'], 4), ['TS stdout F abcd\n']);
    assert.deepEqual(records(['abcd\r', 'x\n'], 4), ['TS stdout P abcd\n', 'TS stdout F \rx\n']);
  });

  it('writes empty lines as empty F records', () => {
    assert.deepEqual(records(['\n\na\n\n'], 16384), ['TS stdout F \n', 'TS stdout F \n', 'TS stdout F a\n', 'TS stdout F \n']);
  });

  it('writes what is left at EOF without a newline as P, and nothing for an empty stream', () => {
    assert.deepEqual(records(['last line\nno newline'], 16384), ['TS stdout F last line\n', 'TS stdout P no newline\n']);
    assert.deepEqual(records(['abcdef'], 4), ['TS stdout P abcd\n', 'TS stdout P ef\n']);
    assert.deepEqual(records(['ends with cr\r'], 16384), ['TS stdout P ends with cr\r\n']);
    assert.deepEqual(records([], 16384), []);
    assert.deepEqual(records(['done\n'], 16384), ['TS stdout F done\n']);
  });

  it('end() is idempotent and push() after end() throws', () => {
    const out: string[] = [];
    const writer = new CriLogLineWriter('stdout', 10, (line) => out.push(line.toString()), () => 'TS');
    writer.push(Buffer.from('x'));
    writer.end();
    writer.end();
    assert.deepEqual(out, ['TS stdout P x\n']);
    assert.throws(() => writer.push(Buffer.from('y')), /already ended/);
  });

  it('copies binary content byte for byte, including bytes split inside a UTF-8 sequence', () => {
    const payload = Buffer.from([0x00, 0xff, 0xe2, 0x82, 0xac, 0x80, 0x0d, 0x41]);
    const out: Buffer[] = [];
    const writer = new CriLogLineWriter('stderr', 16384, (line) => out.push(Buffer.from(line)), () => 'TS');
    writer.push(payload.subarray(0, 3));
    writer.push(Buffer.concat([payload.subarray(3), Buffer.from('\n')]));
    writer.end();
    assert.equal(out.length, 1);
    assert.deepEqual(out[0], Buffer.concat([Buffer.from('TS stderr F '), payload, Buffer.from('\n')]));
  });

  it('hands each record to write() whole, with a timestamp per record', () => {
    let n = 0;
    const out: string[] = [];
    const writer = new CriLogLineWriter('stdout', 3, (line) => out.push(line.toString()), () => `T${++n}`);
    writer.push(Buffer.from('abcdefg\nh\n'));
    assert.deepEqual(out, ['T1 stdout P abc\n', 'T2 stdout P def\n', 'T3 stdout F g\n', 'T4 stdout F h\n']);
  });
});

describe('CRI log timestamps', () => {
  const pattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

  it('formats nanoseconds since the epoch in UTC with 9 fraction digits and Z', () => {
    assert.equal(formatTimestamp(1_475_713_029_669_794_202n), '2016-10-06T00:17:09.669794202Z');
    assert.equal(formatTimestamp(1_475_713_029_000_000_000n), '2016-10-06T00:17:09.000000000Z');
    assert.equal(formatTimestamp(1_475_713_029_000_000_001n), '2016-10-06T00:17:09.000000001Z');
    assert.equal(formatTimestamp(0n), '1970-01-01T00:00:00.000000000Z');
    assert.equal(formatTimestamp(-1n), '1969-12-31T23:59:59.999999999Z');
  });

  it('takes the current time from the wall clock with sub-millisecond digits', () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const now = nowEpochNs();
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    assert.ok(now >= before - 3_000_000n && now <= after + 3_000_000n, `${now} within [${before}, ${after}]`);
    const stamps = Array.from({ length: 50 }, () => nowTimestamp());
    for (const stamp of stamps) assert.match(stamp, pattern);
    assert.ok(
      stamps.some((stamp) => !stamp.endsWith('000000Z')),
      'some timestamps carry digits below the millisecond',
    );
    assert.ok(Number.isFinite(Date.parse(stamps[0] as string)));
  });
});
