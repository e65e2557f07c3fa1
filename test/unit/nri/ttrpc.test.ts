import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Multiplexer } from '../../../src/nri/mux.js';
import { decodeMessage, encodeMessage } from '../../../src/nri/nri-wire.js';
import { StatusCode, TtrpcClient, TtrpcClosedError, TtrpcStatusError, TtrpcTimeoutError, wireTimeoutMs } from '../../../src/nri/ttrpc-client.js';
import { encodeTtrpcFrame, TtrpcProtocolError } from '../../../src/nri/ttrpc-frame.js';
import { TtrpcServer } from '../../../src/nri/ttrpc-server.js';
import { socketPair } from './socket-pair.js';

describe('ttrpc client and server over the NRI mux', () => {
  it('a call reaches the handler by service and method and its answer comes back; unknown methods answer UNIMPLEMENTED', async () => {
    const [a, b] = await socketPair();
    const client = new TtrpcClient(new Multiplexer(a).open(1), assert.fail);
    new TtrpcServer(
      new Multiplexer(b).open(1),
      new Map([
        [
          'svc.S/Echo',
          async (payload: Buffer) => {
            return Buffer.concat([payload, Buffer.from('!')]);
          },
        ],
        [
          'svc.S/Fail',
          async () => {
            throw new TtrpcStatusError(StatusCode.internal, 'nope');
          },
        ],
      ]),
      assert.fail,
    );
    assert.equal((await client.call('svc.S', 'Echo', Buffer.from('hi'), 1000)).toString(), 'hi!');
    await assert.rejects(client.call('svc.S', 'Fail', Buffer.alloc(0), 1000), (err: unknown) => err instanceof TtrpcStatusError && err.code === StatusCode.internal && err.message === 'nope');
    await assert.rejects(client.call('svc.S', 'Missing', Buffer.alloc(0), 1000), (err: unknown) => err instanceof TtrpcStatusError && err.code === StatusCode.unimplemented);
    a.destroy();
    b.destroy();
  });

  it('tells the peer a deadline a little before its own, so an answer at the peer’s deadline still arrives', async () => {
    const [a, b] = await socketPair();
    const client = new TtrpcClient(new Multiplexer(a).open(1), assert.fail);
    const server = new Multiplexer(b).open(1);
    const seen = new Promise<string>((resolve) => {
      server.onData = (bytes) => resolve(decodeMessage<{ timeoutNano: string }>('ttrpc.Request', bytes.subarray(10)).timeoutNano);
    });
    void client.call('svc.S', 'M', Buffer.alloc(0), 2000).catch(() => undefined);
    assert.equal(await seen, String(wireTimeoutMs(2000) * 1_000_000));
    assert.ok(wireTimeoutMs(2000) < 2000 && wireTimeoutMs(2000) >= 1500);
    client.close(new Error('done'));
    a.destroy();
    b.destroy();
  });

  it('a call with no answer times out; an answer after that is dropped; closing fails the calls in flight', async () => {
    const [a, b] = await socketPair();
    const client = new TtrpcClient(new Multiplexer(a).open(1), assert.fail);
    const server = new Multiplexer(b).open(1);
    await assert.rejects(client.call('svc.S', 'Slow', Buffer.alloc(0), 50), TtrpcTimeoutError);
    server.write(encodeTtrpcFrame({ streamId: 1, type: 2, flags: 0, data: encodeMessage('ttrpc.Response', { payload: Buffer.from('late') }) }));
    const pending = client.call('svc.S', 'Never', Buffer.alloc(0), 5000);
    client.close(new Error('plugin went away'));
    await assert.rejects(pending, TtrpcClosedError);
    a.destroy();
    b.destroy();
  });

  it('a response that does not decode is a protocol error', async () => {
    const [a, b] = await socketPair();
    let protocolError: Error | undefined;
    const client = new TtrpcClient(new Multiplexer(a).open(1), (err) => (protocolError = err));
    const server = new Multiplexer(b).open(1);
    const rejected = assert.rejects(client.call('svc.S', 'M', Buffer.alloc(0), 5000), TtrpcProtocolError);
    server.write(encodeTtrpcFrame({ streamId: 1, type: 2, flags: 0, data: Buffer.from([0xff, 0xff, 0xff]) }));
    await new Promise((r) => setTimeout(r, 20));
    assert.match(protocolError?.message ?? '', /does not decode/);
    await rejected;
    a.destroy();
    b.destroy();
  });
});
