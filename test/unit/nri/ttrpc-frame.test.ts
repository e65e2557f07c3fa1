import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeTtrpcFrame, TTRPC_MAX_DATA_BYTES, TtrpcFrameDecoder, TtrpcMessageType, TtrpcProtocolError } from '../../../src/nri/ttrpc-frame.js';

describe('ttrpc framing', () => {
  it('writes the 10-byte header big-endian: length, stream ID, type, flags', () => {
    const frame = encodeTtrpcFrame({ streamId: 3, type: TtrpcMessageType.request, flags: 0, data: Buffer.from('abc') });
    assert.deepEqual([...frame], [0, 0, 0, 3, 0, 0, 0, 3, 1, 0, 0x61, 0x62, 0x63]);
  });

  it('cuts frames out of a stream however the bytes are split', () => {
    const a = encodeTtrpcFrame({ streamId: 1, type: TtrpcMessageType.response, flags: 0, data: Buffer.from('first') });
    const b = encodeTtrpcFrame({ streamId: 5, type: TtrpcMessageType.request, flags: 0, data: Buffer.alloc(0) });
    const both = Buffer.concat([a, b]);
    for (let cut = 0; cut <= both.length; cut++) {
      const decoder = new TtrpcFrameDecoder();
      const frames = [...decoder.push(both.subarray(0, cut)), ...decoder.push(both.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => [f.streamId, f.type, f.data.toString()]),
        [
          [1, 2, 'first'],
          [5, 1, ''],
        ],
        `cut at ${cut}`,
      );
    }
  });

  it('refuses a frame over the 4 MiB limit, before its data arrives', () => {
    const header = Buffer.alloc(10);
    header.writeUInt32BE(TTRPC_MAX_DATA_BYTES + 1, 0);
    assert.throws(() => new TtrpcFrameDecoder().push(header), TtrpcProtocolError);
    assert.throws(() => encodeTtrpcFrame({ streamId: 1, type: 1, flags: 0, data: Buffer.alloc(TTRPC_MAX_DATA_BYTES + 1) }), TtrpcProtocolError);
  });
});
