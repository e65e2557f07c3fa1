import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SPDY3_DICTIONARY } from '../../../src/streaming/spdy/dictionary.js';
import {
  FrameSplitter,
  decodeHeaderBlock,
  encodeHeaderBlock,
  hasHeaderBlock,
  parseFrame,
  serializeFrame,
  type SpdyFrame,
} from '../../../src/streaming/spdy/frames.js';
import { HeaderCompressor, HeaderDecompressor } from '../../../src/streaming/spdy/header-compression.js';
import { GO_EXEC_CLIENT_BYTES, GO_PORTFORWARD_CLIENT_BYTES } from './fixtures/go-client-bytes.js';

async function roundTrip(frames: SpdyFrame[], chunkSize = 3): Promise<SpdyFrame[]> {
  const compressor = new HeaderCompressor();
  const decompressor = new HeaderDecompressor();
  try {
    const bytes: Buffer[] = [];
    for (const frame of frames) {
      const compressed = hasHeaderBlock(frame) ? await compressor.compress(encodeHeaderBlock(frame.headers)) : undefined;
      bytes.push(serializeFrame(frame, compressed));
    }
    const all = Buffer.concat(bytes);
    const splitter = new FrameSplitter();
    const out: SpdyFrame[] = [];
    for (let i = 0; i < all.length; i += chunkSize) {
      for (const raw of splitter.push(all.subarray(i, i + chunkSize))) out.push(await decode(raw, decompressor));
    }
    return out;
  } finally {
    compressor.close();
    decompressor.close();
  }
}

async function decode(raw: Parameters<typeof parseFrame>[0], decompressor: HeaderDecompressor): Promise<SpdyFrame> {
  const { frame, compressedHeaders } = parseFrame(raw);
  if (hasHeaderBlock(frame) && compressedHeaders) {
    for (const [k, v] of decodeHeaderBlock(await decompressor.decompress(compressedHeaders))) frame.headers.set(k, v);
  }
  return frame;
}

/** Frames a Go client sent (after its HTTP upgrade request), decoded. */
async function decodeRecorded(bytes: Buffer): Promise<{ request: string; frames: SpdyFrame[] }> {
  const end = bytes.indexOf('\r\n\r\n');
  const decompressor = new HeaderDecompressor();
  try {
    const frames = [];
    for (const raw of new FrameSplitter().push(bytes.subarray(end + 4))) frames.push(await decode(raw, decompressor));
    return { request: bytes.subarray(0, end).toString('latin1'), frames };
  } finally {
    decompressor.close();
  }
}

const h = (entries: Record<string, string | string[]>): Map<string, string[]> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));

describe('SPDY/3.1 frames', () => {
  it('round-trips every frame type, split at any byte', async () => {
    const frames: SpdyFrame[] = [
      { type: 'syn_stream', streamId: 1, associatedToStreamId: 0, priority: 3, slot: 0, fin: false, unidirectional: false, headers: h({ streamtype: 'error' }) },
      { type: 'syn_stream', streamId: 3, associatedToStreamId: 1, priority: 7, slot: 2, fin: true, unidirectional: true, headers: h({ port: '80', requestid: '0' }) },
      { type: 'syn_reply', streamId: 1, fin: false, headers: new Map() },
      { type: 'syn_reply', streamId: 3, fin: true, headers: h({ multi: ['a', 'b'] }) },
      { type: 'data', streamId: 1, fin: false, data: Buffer.from('hello') },
      { type: 'data', streamId: 1, fin: true, data: Buffer.alloc(0) },
      { type: 'rst_stream', streamId: 5, status: 5 },
      { type: 'settings', clearSettings: true, entries: [{ flags: 1, id: 7, value: 65536 }, { flags: 0, id: 4, value: 100 }] },
      { type: 'ping', id: 1 },
      { type: 'goaway', lastGoodStreamId: 7, status: 0 },
      { type: 'headers', streamId: 3, fin: true, headers: h({ 'x-a': 'b' }) },
      { type: 'window_update', streamId: 1, deltaWindowSize: 0x7fffffff },
      { type: 'unknown', frameType: 0x10, flags: 0, payload: Buffer.from([1, 2]) },
    ];
    assert.deepEqual(await roundTrip(frames), frames);
    assert.deepEqual(await roundTrip(frames, 1_000_000), frames);
  });

  it('lays out control and data frame headers as the spec says', () => {
    const ping = serializeFrame({ type: 'ping', id: 0x01020304 });
    assert.equal(ping.toString('hex'), '8003000600000004' + '01020304');
    const data = serializeFrame({ type: 'data', streamId: 5, fin: true, data: Buffer.from('ab') });
    assert.equal(data.toString('hex'), '00000005' + '01000002' + '6162');
    const rst = serializeFrame({ type: 'rst_stream', streamId: 3, status: 5 });
    assert.equal(rst.toString('hex'), '8003000300000008' + '00000003' + '00000005');
  });

  it('encodes header blocks with lowercase names and NUL-joined values', () => {
    const block = encodeHeaderBlock(h({ StreamType: 'stdin', x: ['1', '2'] }));
    assert.equal(block.toString('hex'), '00000002' + '0000000a' + Buffer.from('streamtype').toString('hex') + '00000005' + Buffer.from('stdin').toString('hex') + '00000001' + '78' + '00000003' + '310032');
    assert.deepEqual(decodeHeaderBlock(block), h({ streamtype: 'stdin', x: ['1', '2'] }));
    assert.throws(() => decodeHeaderBlock(block.subarray(0, 10)));
  });

  it('uses the SPDY/3 dictionary byte for byte (as moby/spdystream)', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.equal(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex'), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
  });

  it('decodes what a real Go exec client sent', async () => {
    const { request, frames } = await decodeRecorded(GO_EXEC_CLIENT_BYTES);
    assert.match(request, /^POST \/exec\/\S+ HTTP\/1\.1\r\n/);
    assert.match(request, /\r\nUpgrade: SPDY\/3\.1/);
    assert.match(request, /X-Stream-Protocol-Version: v5\.channel\.k8s\.io\r\nX-Stream-Protocol-Version: v4\.channel\.k8s\.io/);
    const syns = frames.filter((f) => f.type === 'syn_stream');
    assert.deepEqual(
      syns.map((f) => [f.streamId, Object.fromEntries(f.headers)]),
      [
        [1, { streamtype: ['error'] }],
        [3, { streamtype: ['stdin'] }],
        [5, { streamtype: ['stdout'] }],
        [7, { streamtype: ['stderr'] }],
      ],
    );
    const stdin = frames.filter((f) => f.type === 'data' && f.streamId === 3);
    assert.deepEqual(stdin, [
      { type: 'data', streamId: 3, fin: false, data: Buffer.from('hello') },
      { type: 'data', streamId: 3, fin: true, data: Buffer.alloc(0) },
    ]);
  });

  it('decodes what a real Go port-forward client sent', async () => {
    const { request, frames } = await decodeRecorded(GO_PORTFORWARD_CLIENT_BYTES);
    assert.match(request, /X-Stream-Protocol-Version: portforward\.k8s\.io/);
    const syns = frames.flatMap((f) => (f.type === 'syn_stream' ? [Object.fromEntries(f.headers)] : []));
    assert.equal(syns.length, 6);
    for (const requestId of ['0', '1', '2']) {
      const types = syns.filter((s) => s.requestid?.[0] === requestId).map((s) => s.streamtype?.[0]);
      assert.deepEqual(types.sort(), ['data', 'error']);
    }
    assert.ok(syns.every((s) => s.port?.[0] === '8080'));
  });

  it('recompresses the Go client header blocks byte for byte', async () => {
    // Same zlib settings as Go (level 9, dictionary, sync flush per block): our output must equal the recorded blocks.
    const end = GO_EXEC_CLIENT_BYTES.indexOf('\r\n\r\n');
    const raws = new FrameSplitter().push(GO_EXEC_CLIENT_BYTES.subarray(end + 4));
    const decompressor = new HeaderDecompressor();
    const compressor = new HeaderCompressor();
    try {
      for (const raw of raws) {
        const { frame, compressedHeaders } = parseFrame(raw);
        if (!compressedHeaders || !hasHeaderBlock(frame)) continue;
        const block = await decompressor.decompress(compressedHeaders);
        const ours = await compressor.compress(block);
        assert.equal(ours.toString('hex'), compressedHeaders.toString('hex'));
      }
    } finally {
      decompressor.close();
      compressor.close();
    }
  });

  it('rejects malformed frames', () => {
    const [raw] = new FrameSplitter().push(Buffer.from('8002000600000004' + '00000001', 'hex'));
    assert.ok(raw);
    assert.throws(() => parseFrame(raw), /unsupported SPDY version 2/);
    const [short] = new FrameSplitter().push(Buffer.from('8003000300000004' + '00000001', 'hex'));
    assert.ok(short);
    assert.throws(() => parseFrame(short), /too short/);
  });
});
