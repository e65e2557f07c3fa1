import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { StreamingRequestCache } from '../../../src/streaming/request-cache.js';
import { startStreamingServer, type StreamingServer } from '../../../src/streaming/server.js';
import type { StreamingRequest } from '../../../src/streaming/types.js';
import { FakeForwarder, FakeRunner, startEchoServer } from './fakes.js';
import { openRawWebSocket } from './raw-websocket.js';
import { TestSpdyClient, type ClientStream } from './spdy-client.js';

const log = pino({ level: 'silent' });

const execRequest = (over: Partial<Extract<StreamingRequest, { kind: 'exec' }>> = {}): StreamingRequest => ({
  kind: 'exec',
  containerId: 'c1',
  cmd: ['upper'],
  tty: false,
  stdin: true,
  stdout: true,
  stderr: true,
  ...over,
});

interface WsMessage {
  data: Buffer;
  binary: boolean;
}

/** Opens a ws client and gathers every message until the server closes. */
async function wsSession(url: string, protocols: string[]): Promise<{ ws: WebSocket; messages: WsMessage[]; closed: Promise<number> }> {
  const ws = new WebSocket(url, protocols);
  const messages: WsMessage[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => messages.push({ data: Buffer.from(data), binary }));
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  ws.on('error', () => undefined); // a refused handshake rejects 'open' below
  await once(ws, 'open');
  return { ws, messages, closed };
}

describe('streaming server protocols', () => {
  let server: StreamingServer;
  let echo: Server;
  const cache = new StreamingRequestCache();
  const runner = new FakeRunner();
  let forwarder: FakeForwarder;
  const url = (request: StreamingRequest): string => server.urlFor(request.kind, cache.insert(request));

  before(async () => {
    const started = await startEchoServer();
    echo = started.server;
    forwarder = new FakeForwarder(started.port);
    server = await startStreamingServer({
      address: '127.0.0.1',
      port: 0,
      runner,
      forwarder,
      cache,
      log,
      streamCreationTimeoutMs: 300,
    });
  });
  after(async () => {
    await server.close();
    echo.close();
  });

  async function spdyExec(
    request: StreamingRequest,
    protocols: string[],
    streamTypes: string[],
  ): Promise<{ client: TestSpdyClient; protocol: string | undefined; streams: Map<string, ClientStream> }> {
    const { status, headers, client } = await TestSpdyClient.upgrade(url(request), protocols);
    assert.equal(status, 101);
    assert.ok(client);
    const streams = new Map<string, ClientStream>();
    for (const type of streamTypes) streams.set(type, await client.openStream({ streamType: type }));
    return { client, protocol: headers.get('x-stream-protocol-version')?.[0], streams };
  }

  describe('remotecommand over SPDY', () => {
    it('negotiates the client-preferred version and runs exec: stdin, stdout, stderr, exit code Status', async () => {
      const protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
      const { client, protocol, streams } = await spdyExec(execRequest(), protocols, ['error', 'stdin', 'stdout', 'stderr']);
      assert.equal(protocol, 'v5.channel.k8s.io');
      await streams.get('stdin')?.write('hello ');
      await streams.get('stdin')?.write('spdy');
      await streams.get('stdin')?.end();
      await streams.get('error')?.ended;
      assert.equal(streams.get('stdout')?.text, 'HELLO SPDY');
      assert.equal(streams.get('stderr')?.text, 'to stderr');
      const status = JSON.parse(streams.get('error')?.text ?? '');
      assert.equal(status.status, 'Failure');
      assert.equal(status.reason, 'NonZeroExitCode');
      assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
      await client.closed;
      assert.ok(client.frames.some((f) => f.type === 'goaway'));
    });

    it('v2 reports failure as plain text and success as nothing', async () => {
      const failed = await spdyExec(execRequest({ stdin: false }), ['v2.channel.k8s.io'], ['error', 'stdout', 'stderr']);
      assert.equal(failed.protocol, 'v2.channel.k8s.io');
      await failed.streams.get('error')?.ended;
      assert.equal(failed.streams.get('error')?.text, "command terminated with non-zero exit code: command 'upper' exited with 3");
      const ok = await spdyExec(execRequest({ stdin: false, cmd: ['ok'] }), ['v2.channel.k8s.io'], ['error', 'stdout', 'stderr']);
      await ok.streams.get('error')?.ended;
      assert.equal(ok.streams.get('error')?.text, '');
    });

    it('v4 tty: resize stream feeds the runner, stderr is not expected', async () => {
      const before = runner.calls.length;
      const { streams } = await spdyExec(execRequest({ tty: true, stderr: false, cmd: ['ok'] }), ['v4.channel.k8s.io'], ['error', 'stdin', 'stdout', 'resize']);
      await streams.get('resize')?.write('{"Width":80,"Height":24}\n{"Width":120,');
      await streams.get('resize')?.write('"Height":40}\n');
      await streams.get('stdin')?.write('x');
      await streams.get('stdin')?.end();
      await streams.get('error')?.ended;
      assert.equal(streams.get('error')?.text, '{"metadata":{},"status":"Success"}');
      assert.deepEqual(runner.calls[before]?.resizes, [
        { width: 80, height: 24 },
        { width: 120, height: 40 },
      ]);
    });

    it('a runner error is an InternalError Status', async () => {
      const { streams } = await spdyExec(execRequest({ cmd: ['fail'], stdin: false }), ['v4.channel.k8s.io'], ['error', 'stdout', 'stderr']);
      await streams.get('error')?.ended;
      const status = JSON.parse(streams.get('error')?.text ?? '');
      assert.equal(status.message, 'Internal error occurred: error executing command in container: no such process');
      assert.equal(status.code, 500);
    });

    it('attach echoes stdin until the client half-closes it', async () => {
      const request: StreamingRequest = { kind: 'attach', containerId: 'c1', tty: false, stdin: true, stdout: true, stderr: true };
      const { streams } = await spdyExec(request, ['v4.channel.k8s.io'], ['error', 'stdin', 'stdout', 'stderr']);
      await streams.get('stdin')?.write('as is');
      await streams.get('stdin')?.end();
      await streams.get('error')?.ended;
      assert.equal(streams.get('stdout')?.text, 'as is');
      assert.equal(streams.get('error')?.text, '{"metadata":{},"status":"Success"}');
    });

    it('closes the session when the client does not create its streams in time', async () => {
      const before = runner.calls.length;
      const { client } = await spdyExec(execRequest(), ['v4.channel.k8s.io'], ['error', 'stdout']);
      await client.closed;
      assert.equal(runner.calls.length, before);
    });

    it('refuses unknown protocols with 403 and the accepted versions', async () => {
      const result = await TestSpdyClient.upgrade(url(execRequest()), ['v9.channel.k8s.io']);
      assert.equal(result.status, 403);
      assert.deepEqual(result.headers.get('x-accepted-stream-protocol-versions'), [
        'v5.channel.k8s.io',
        'v4.channel.k8s.io',
        'v3.channel.k8s.io',
        'v2.channel.k8s.io',
        'channel.k8s.io',
      ]);
    });
  });

  describe('tokens', () => {
    it('unknown, reused and wrong-kind tokens get 404 and nothing runs', async () => {
      const before = runner.calls.length;
      const unknown = await TestSpdyClient.upgrade(`${server.baseUrl}/exec/not-a-token`, ['v4.channel.k8s.io']);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body, '404 page not found\n');

      const token = cache.insert(execRequest({ cmd: ['ok'], stdin: false }));
      const first = await TestSpdyClient.upgrade(server.urlFor('exec', token), ['v4.channel.k8s.io']);
      assert.equal(first.status, 101);
      const again = await TestSpdyClient.upgrade(server.urlFor('exec', token), ['v4.channel.k8s.io']);
      assert.equal(again.status, 404);
      first.client?.transport.destroy();

      const wrongKind = await TestSpdyClient.upgrade(server.urlFor('attach', cache.insert(execRequest())), ['v4.channel.k8s.io']);
      assert.equal(wrongKind.status, 404);
      await assert.rejects(wsSession(`${server.baseUrl.replace('http', 'ws')}/exec/nope`, ['v5.channel.k8s.io']), /404/);
      const plain = await fetch(url(execRequest()));
      assert.equal(plain.status, 400);
      assert.equal(runner.calls.length, before);
    });
  });

  describe('remotecommand over WebSocket', () => {
    const wsUrl = (request: StreamingRequest): string => url(request).replace(/^http/, 'ws');

    it('v5: channel bytes, close signal for stdin, Status on channel 3, normal closure', async () => {
      const { ws, messages, closed } = await wsSession(wsUrl(execRequest()), ['v5.channel.k8s.io']);
      assert.equal(ws.protocol, 'v5.channel.k8s.io');
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello ws')]));
      ws.send(Buffer.from([255, 0]));
      assert.equal(await closed, 1000);
      const byChannel = (c: number): string =>
        Buffer.concat(messages.filter((m) => m.data[0] === c).map((m) => m.data.subarray(1))).toString();
      assert.deepEqual(messages[0]?.data, Buffer.from([1])); // kubelet's "connection established" message
      assert.equal(byChannel(1), 'HELLO WS');
      assert.equal(byChannel(2), 'to stderr');
      assert.equal(JSON.parse(byChannel(3)).reason, 'NonZeroExitCode');
      assert.ok(messages.every((m) => m.binary));
    });

    it('v4.base64: text messages with an ASCII channel digit and base64 data', async () => {
      const { ws, messages, closed } = await wsSession(wsUrl(execRequest({ stdin: false, cmd: ['ok'] })), [
        'v4.base64.channel.k8s.io',
        'v4.channel.k8s.io',
      ]);
      assert.equal(ws.protocol, 'v4.base64.channel.k8s.io');
      assert.equal(await closed, 1000);
      assert.ok(messages.every((m) => !m.binary));
      const texts = messages.map((m) => m.data.toString());
      assert.equal(texts[0], '1');
      assert.ok(texts.includes(`2${Buffer.from('to stderr').toString('base64')}`));
      const status = texts.find((t) => t.startsWith('3'));
      assert.equal(Buffer.from(status?.slice(1) ?? '', 'base64').toString(), '{"metadata":{},"status":"Success"}');
    });

    it('channel.k8s.io (pre-v4): failure as text; no protocol at all works the same', async () => {
      for (const protocols of [['channel.k8s.io'], []]) {
        const { messages, closed } = await wsSession(wsUrl(execRequest({ stdin: false })), protocols);
        await closed;
        const status = messages.find((m) => m.data[0] === 3);
        assert.equal(status?.data.subarray(1).toString(), "command terminated with non-zero exit code: command 'upper' exited with 3");
      }
    });

    it('tty resize on channel 4 reaches the runner', async () => {
      const before = runner.calls.length;
      const { ws, closed } = await wsSession(wsUrl(execRequest({ tty: true, stderr: false, cmd: ['ok'] })), ['v5.channel.k8s.io']);
      ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":10,"Height":20}\n')]));
      ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":30,"Height":40}\n')]));
      ws.send(Buffer.from([255, 0]));
      await closed;
      assert.deepEqual(runner.calls[before]?.resizes, [
        { width: 10, height: 20 },
        { width: 30, height: 40 },
      ]);
    });

    it('refuses unknown subprotocols with 403', async () => {
      await assert.rejects(wsSession(wsUrl(execRequest()), ['v9.channel.k8s.io']), /403/);
    });
  });

  describe('port-forward', () => {
    it('SPDY: stream pairs per connection, several ports and connections at once', async () => {
      const { status, headers, client } = await TestSpdyClient.upgrade(
        url({ kind: 'portforward', podSandboxId: 'p1', ports: [80, 8080] }),
        ['portforward.k8s.io'],
      );
      assert.equal(status, 101);
      assert.deepEqual(headers.get('x-stream-protocol-version'), ['portforward.k8s.io']);
      assert.ok(client);
      const payload = Buffer.alloc(200_000, 'p');
      const connection = async (port: number, requestId: number): Promise<void> => {
        const error = await client.openStream({ streamType: 'error', port: String(port), requestID: String(requestId) });
        await error.end();
        const data = await client.openStream({ streamType: 'data', port: String(port), requestID: String(requestId) });
        await data.write(payload);
        await data.end();
        await data.ended;
        await error.ended;
        assert.equal(Buffer.concat(data.chunks).length, payload.length);
        assert.equal(error.text, '');
      };
      await Promise.all([connection(80, 0), connection(8080, 1), connection(80, 2)]);
      assert.deepEqual([...forwarder.ports].sort(), [80, 80, 8080]);

      await assert.rejects(client.openStream({ streamType: 'data', port: 'http', requestID: '9' }), /reset/);

      forwarder.failWith = 'connection refused';
      try {
        const error = await client.openStream({ streamType: 'error', port: '81', requestID: '3' });
        await client.openStream({ streamType: 'data', port: '81', requestID: '3' });
        await error.ended;
        assert.equal(error.text, 'error forwarding port 81 to pod p1, uid : connection refused');
      } finally {
        forwarder.failWith = undefined;
      }
      await client.close();
      await client.closed;
    });

    it('WebSocket channels: ports from the query, port prefix on each channel, data echoed', async () => {
      const target = url({ kind: 'portforward', podSandboxId: 'p1', ports: [] }).replace(/^http/, 'ws');
      const { ws, messages, closed } = await wsSession(`${target}?port=80&port=8080`, ['v4.channel.k8s.io']);
      assert.equal(ws.protocol, 'v4.channel.k8s.io');
      await new Promise((r) => setTimeout(r, 50));
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('to 80')]));
      ws.send(Buffer.concat([Buffer.from([2]), Buffer.from('to 8080')]));
      const data = (channel: number): string =>
        Buffer.concat(messages.filter((m) => m.data[0] === channel).map((m) => m.data.subarray(1))).toString('latin1');
      const deadline = Date.now() + 2_000;
      while ((!data(0).endsWith('to 80') || !data(2).endsWith('to 8080')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const port = (p: number): string => Buffer.from([p & 0xff, p >> 8]).toString('latin1');
      assert.equal(data(0), `${port(80)}to 80`);
      assert.equal(data(1), port(80));
      assert.equal(data(2), `${port(8080)}to 8080`);
      assert.equal(data(3), port(8080));
      ws.close();
      await closed;
    });

    it('SPDY tunnelled over WebSocket (SPDY/3.1+portforward.k8s.io)', async () => {
      const target = url({ kind: 'portforward', podSandboxId: 'p1', ports: [] }).replace(/^http/, 'ws');
      const { stream, protocol } = await openRawWebSocket(target, 'SPDY/3.1+portforward.k8s.io');
      assert.equal(protocol, 'SPDY/3.1+portforward.k8s.io');
      const client = new TestSpdyClient(stream);
      const error = await client.openStream({ streamType: 'error', port: '80', requestID: '0' });
      await error.end();
      const data = await client.openStream({ streamType: 'data', port: '80', requestID: '0' });
      const payload = Buffer.alloc(100_000, 't');
      await data.write(payload);
      await data.end();
      await data.ended;
      await error.ended;
      assert.equal(Buffer.concat(data.chunks).length, payload.length);
      await client.close();
      await client.closed;
    });
  });
});
