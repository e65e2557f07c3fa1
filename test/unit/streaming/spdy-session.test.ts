import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { RstStatus } from '../../../src/streaming/spdy/frames.js';
import { SpdySession, type SpdySessionOptions } from '../../../src/streaming/spdy/session.js';
import type { SpdyStream } from '../../../src/streaming/spdy/stream.js';
import { TestSpdyClient } from '../../integration/streaming-protocol/spdy-client.js';

const log = pino({ level: 'silent' });

/** One SpdySession per TCP connection; the test decides what to do with streams. */
class Harness {
  server: Server | undefined;
  sessions: SpdySession[] = [];
  streams: SpdyStream[] = [];
  onStream: (stream: SpdyStream) => void = (s) => void s.reply();
  options: Partial<SpdySessionOptions> = {};

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.sessions.push(
        new SpdySession(socket, {
          log,
          ...this.options,
          onStream: (s) => {
            this.streams.push(s);
            this.onStream(s);
          },
        }),
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
  }

  async client(): Promise<TestSpdyClient> {
    const socket = connect((this.server?.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    return new TestSpdyClient(socket);
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('SpdySession', () => {
  const harness = new Harness();
  before(() => harness.start());
  after(() => harness.stop());

  it('replies to streams, carries data both ways and half-closes with FIN', async () => {
    harness.onStream = (s) => {
      void s.reply();
      s.on('data', (chunk: Buffer) => s.write(chunk.toString().toUpperCase()));
      s.on('end', () => s.end('!'));
    };
    const client = await harness.client();
    const stream = await client.openStream({ streamType: 'stdin' });
    const server = harness.streams.at(-1);
    assert.equal(server?.header('streamtype'), 'stdin');
    assert.equal(server?.header('StreamType'), 'stdin');
    await stream.write('hello');
    await stream.end();
    await stream.ended;
    assert.equal(stream.text, 'HELLO!');
    assert.equal(stream.resetStatus, undefined);
    await client.close();
  });

  it('echoes client pings (odd ids) only', async () => {
    const client = await harness.client();
    await client.ping(1);
    await client.ping(2);
    await client.ping(3);
    await until(() => client.frames.filter((f) => f.type === 'ping').length >= 2);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      client.frames.filter((f) => f.type === 'ping'),
      [
        { type: 'ping', id: 1 },
        { type: 'ping', id: 3 },
      ],
    );
    await client.close();
  });

  it('sends past the 64 KiB window without WINDOW_UPDATE (spdystream never sends one), ignores SETTINGS and WINDOW_UPDATE', async () => {
    const big = Buffer.alloc(1024 * 1024 + 7, 'x');
    harness.onStream = (s) => {
      void s.reply();
      s.end(big);
    };
    const client = await harness.client();
    await client.send({ type: 'settings', clearSettings: false, entries: [{ flags: 0, id: 7, value: 1024 }] });
    await client.send({ type: 'window_update', streamId: 0, deltaWindowSize: 10 });
    const stream = await client.openStream({ streamType: 'stdout' });
    await stream.ended;
    assert.equal(Buffer.concat(stream.chunks).length, big.length);
    await client.close();
  });

  it('a client RST ends and destroys the server stream without answering RST', async () => {
    harness.onStream = (s) => void s.reply();
    const client = await harness.client();
    const stream = await client.openStream({ streamType: 'data' });
    const server = harness.streams.at(-1);
    assert.ok(server);
    const closed = once(server, 'close');
    await stream.reset();
    await closed;
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(client.frames.filter((f) => f.type === 'rst_stream').length, 0);
    await client.close();
  });

  it('resets a stream the handler rejects, and streams whose ids go backwards', async () => {
    harness.onStream = (s) => s.reset(RstStatus.RefusedStream);
    const client = await harness.client();
    await assert.rejects(client.openStream({ streamType: 'nope' }), /reset \(3\)/);
    harness.onStream = (s) => void s.reply();
    await client.openStream({ streamType: 'x' }); // id 3
    const lower = new Map([['streamtype', ['late']]]);
    await client.send({ type: 'syn_stream', streamId: 1, associatedToStreamId: 0, priority: 0, slot: 0, fin: false, unidirectional: false, headers: lower });
    await until(() => client.frames.some((f) => f.type === 'rst_stream' && f.streamId === 1 && f.status === RstStatus.ProtocolError));
    await client.close();
  });

  it('shuts down as kubelet: RST unfinished streams, GOAWAY with the last stream id, then hang up', async () => {
    harness.onStream = (s) => void s.reply();
    const client = await harness.client();
    await client.openStream({ streamType: 'a' }); // 1
    const done = await client.openStream({ streamType: 'b' }); // 3
    harness.streams.at(-1)?.end('bye');
    await done.ended;
    const session = harness.sessions.at(-1);
    assert.ok(session);
    const shutdown = session.shutdown();
    await until(() => client.frames.some((f) => f.type === 'goaway'));
    client.transport.end(); // the client hangs up on GOAWAY
    await shutdown;
    await client.closed;
    const tail = client.frames.filter((f) => f.type === 'rst_stream' || f.type === 'goaway');
    assert.deepEqual(tail, [
      { type: 'rst_stream', streamId: 1, status: RstStatus.Cancel },
      { type: 'goaway', lastGoodStreamId: 3, status: 0 },
    ]);
  });

  it('stops reading the connection while a stream reader is full, and resumes when it drains', async () => {
    harness.onStream = (s) => void s.reply(); // nobody reads
    const client = await harness.client();
    const first = await client.openStream({ streamType: 'stdin' });
    const reader = harness.streams.at(-1);
    assert.ok(reader);
    await first.write(Buffer.alloc(3 * 1024 * 1024, 'a'));
    await new Promise((r) => setTimeout(r, 50)); // the DATA frame is in, the connection paused
    let secondOpened = false;
    const second = client.openStream({ streamType: 'other' }).then(() => {
      secondOpened = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(secondOpened, false, 'frames behind a blocked stream wait');
    let read = 0;
    reader.on('data', (chunk: Buffer) => {
      read += chunk.length;
    });
    await second;
    await until(() => read === 3 * 1024 * 1024);
    await client.close();
  });

  it('closes an idle session', async () => {
    harness.options = { idleTimeoutMs: 100 };
    try {
      const client = await harness.client();
      await client.openStream({ streamType: 'a' });
      const started = Date.now();
      await until(() => client.frames.some((f) => f.type === 'goaway'));
      assert.ok(Date.now() - started >= 80);
      client.transport.end();
      await client.closed;
    } finally {
      harness.options = {};
    }
  });
});
