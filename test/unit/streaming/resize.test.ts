import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResizeDecoder, TerminalSizeQueue } from '../../../src/streaming/resize.js';

describe('resize messages', () => {
  it('decodes json.Encoder output, split and glued, names in any case', () => {
    const decoder = new ResizeDecoder();
    assert.deepEqual(decoder.write('{"Width":80,"Hei'), []);
    assert.deepEqual(decoder.write('ght":24}\n{"width":100,"height":30}{"Width":1,"Height":2}\n'), [
      { width: 80, height: 24 },
      { width: 100, height: 30 },
      { width: 1, height: 2 },
    ]);
    assert.deepEqual(decoder.write('{"foo":"}"}\n{"Width":"x"}'), []);
  });

  it('queues sizes for the runner and ends', async () => {
    const queue = new TerminalSizeQueue(2);
    queue.push({ width: 1, height: 1 });
    queue.push({ width: 2, height: 2 });
    queue.push({ width: 3, height: 3 }); // the oldest goes
    const seen = [];
    setTimeout(() => {
      queue.push({ width: 4, height: 4 });
      queue.end();
    }, 10);
    for await (const size of queue) seen.push(size.width);
    assert.deepEqual(seen, [2, 3, 4]);
  });
});
