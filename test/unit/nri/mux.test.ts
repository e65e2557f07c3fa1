import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MUX_FIRST_FRAME_BYTES, MuxFrameDecoder, muxFrames, Multiplexer, PeerClosedError } from '../../../src/nri/mux.js';
import { TtrpcProtocolError } from '../../../src/nri/ttrpc-frame.js';
import { socketPair } from './socket-pair.js';

describe('NRI connection multiplexing', () => {
  it('frames a message as connection ID and length, big-endian, then the bytes', () => {
    const out = Buffer.concat(muxFrames(2, Buffer.from('hi')));
    assert.deepEqual([...out], [0, 0, 0, 2, 0, 0, 0, 2, 0x68, 0x69]);
  });

  it('puts at most 4096 bytes in a message’s first frame and the rest in one more (a Go reader refuses bigger first frames)', () => {
    const message = Buffer.alloc(10_000, 7);
    const frames = new MuxFrameDecoder().push(Buffer.concat(muxFrames(1, message)));
    assert.deepEqual(
      frames.map((f) => f.payload.length),
      [MUX_FIRST_FRAME_BYTES, 10_000 - MUX_FIRST_FRAME_BYTES],
    );
    assert.deepEqual(Buffer.concat(frames.map((f) => f.payload)), message);
    assert.equal(new MuxFrameDecoder().push(Buffer.concat(muxFrames(1, Buffer.alloc(4096)))).length, 1);
  });

  it('hands each connection its own bytes and drops those of connections nobody opened', async () => {
    const [ours, theirs] = await socketPair();
    const mux = new Multiplexer(ours);
    const got: string[] = [];
    mux.open(1).onData = (b) => got.push(`1:${b}`);
    mux.open(2).onData = (b) => got.push(`2:${b}`);
    theirs.write(Buffer.concat([...muxFrames(2, Buffer.from('b')), ...muxFrames(9, Buffer.from('x')), ...muxFrames(1, Buffer.from('a'))]));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, ['2:b', '1:a']);
    mux.close();
    theirs.destroy();
  });

  it('closes on a frame over the size limit, and reports a peer that hung up as such', async () => {
    const [ours, theirs] = await socketPair();
    const mux = new Multiplexer(ours);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(1, 0);
    header.writeUInt32BE(0xffffffff, 4);
    theirs.write(header);
    assert.ok((await mux.closed) instanceof TtrpcProtocolError);
    theirs.destroy();

    const [ours2, theirs2] = await socketPair();
    const mux2 = new Multiplexer(ours2);
    theirs2.end();
    assert.ok((await mux2.closed) instanceof PeerClosedError);
  });
});
