import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type {
  PortForwardConnection,
  PortForwarder,
  RemoteCommandResult,
  RemoteCommandRunner,
  RemoteCommandStreams,
  StreamingRequest,
  TerminalSize,
} from '../../../src/streaming/types.js';

export interface RunnerCall {
  kind: 'exec' | 'attach';
  request: StreamingRequest;
  resizes: TerminalSize[];
}

/**
 * exec: stdin upper-cased to stdout, "to stderr" on stderr, exit code 3
 * (cmd ["fail"] returns an error instead, ["ok"] exits 0).
 * attach: stdin echoed as is to stdout until stdin ends, exit code 0.
 */
export class FakeRunner implements RemoteCommandRunner {
  readonly calls: RunnerCall[] = [];

  async exec(request: Extract<StreamingRequest, { kind: 'exec' }>, streams: RemoteCommandStreams): Promise<RemoteCommandResult> {
    const call: RunnerCall = { kind: 'exec', request, resizes: [] };
    this.calls.push(call);
    const resizing = collectResizes(streams, call);
    if (request.cmd[0] === 'fail') return { error: 'no such process' };
    streams.stderr?.write('to stderr');
    if (streams.stdin && streams.stdout) {
      for await (const chunk of streams.stdin) streams.stdout.write(Buffer.from(chunk as Buffer).toString('utf8').toUpperCase());
    }
    if (request.tty) await Promise.race([resizing, new Promise((r) => setTimeout(r, 300))]);
    return { exitCode: request.cmd[0] === 'ok' ? 0 : 3 };
  }

  async attach(request: Extract<StreamingRequest, { kind: 'attach' }>, streams: RemoteCommandStreams): Promise<RemoteCommandResult> {
    this.calls.push({ kind: 'attach', request, resizes: [] });
    if (streams.stdin && streams.stdout) await pipeline(streams.stdin, streams.stdout, { end: false }).catch(() => undefined);
    return { exitCode: 0 };
  }
}

async function collectResizes(streams: RemoteCommandStreams, call: RunnerCall): Promise<void> {
  if (!streams.resize) return;
  for await (const size of streams.resize) {
    call.resizes.push(size);
    if (call.resizes.length >= 2) return;
  }
}

/** Connects every forwarded connection to a TCP echo server on 127.0.0.1, whatever the port asked. */
export class FakeForwarder implements PortForwarder {
  readonly ports: number[] = [];
  failWith: string | undefined;

  constructor(private readonly echoPort: number) {}

  async forward(_podSandboxId: string, connection: PortForwardConnection): Promise<void> {
    this.ports.push(connection.port);
    if (this.failWith) throw new Error(this.failWith);
    const socket = connect(this.echoPort, '127.0.0.1');
    await once(socket, 'connect');
    await Promise.all([
      pipeline(connection.data, socket).catch(() => socket.destroy()),
      pipeline(socket, connection.data).catch(() => undefined),
    ]);
  }
}

export async function startEchoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
