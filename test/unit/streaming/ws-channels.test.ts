import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeChannelMessage, encodeChannelMessage } from '../../../src/streaming/ws-channels.js';

describe('WebSocket channel framing', () => {
  it('binary: one channel byte, then the data', () => {
    const frame = encodeChannelMessage('binary', 1, Buffer.from('out'));
    assert.deepEqual(frame, Buffer.from([1, 0x6f, 0x75, 0x74]));
    assert.deepEqual(decodeChannelMessage('binary', Buffer.from([0, 0x68, 0x69]), false), {
      kind: 'data',
      channel: 0,
      data: Buffer.from('hi'),
    });
  });

  it('base64: the channel as an ASCII digit, then base64 text', () => {
    const frame = encodeChannelMessage('base64', 2, Buffer.from('err\n'));
    assert.equal(frame, '2ZXJyCg==');
    const decoded = decodeChannelMessage('base64', Buffer.from('0aGVsbG8='), false);
    assert.deepEqual(decoded, { kind: 'data', channel: 0, data: Buffer.from('hello') });
    assert.equal(encodeChannelMessage('base64', 3, Buffer.alloc(0)), '3');
  });

  it('v5 close signal [255, channel] only where the protocol has it', () => {
    assert.deepEqual(decodeChannelMessage('binary', Buffer.from([255, 0]), true), { kind: 'close', channel: 0 });
    assert.deepEqual(decodeChannelMessage('binary', Buffer.from([255, 0, 1]), true), { kind: 'ignore' });
    assert.deepEqual(decodeChannelMessage('binary', Buffer.from([255, 0]), false), { kind: 'data', channel: 255, data: Buffer.from([0]) });
  });

  it('skips empty and malformed messages', () => {
    assert.deepEqual(decodeChannelMessage('binary', Buffer.alloc(0), true), { kind: 'ignore' });
    assert.deepEqual(decodeChannelMessage('base64', Buffer.from('xAAAA'), false), { kind: 'ignore' });
  });
});
