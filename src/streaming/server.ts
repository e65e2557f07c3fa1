import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import { rejectUpgrade } from './http-response.js';
import type { StreamingRequestCache } from './request-cache.js';
import type { PortForwarder, RemoteCommandRunner, StreamingRequest } from './types.js';
import { WebSocketUpgrader, serveSpdyUpgrade, type SessionContext } from './upgrade.js';

export type StreamingKind = StreamingRequest['kind'];

export interface StreamingServerOptions {
  address: string;
  /** 0: a free port. */
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  runner: RemoteCommandRunner;
  forwarder: PortForwarder;
  cache: StreamingRequestCache;
  log: Logger;
  /** Sessions idle this long are closed (kubelet's stream-idle-timeout); default 4 hours. */
  idleTimeoutMs?: number;
  /** How long a client has to open its streams after the upgrade; default 30 s as kubelet. */
  streamCreationTimeoutMs?: number;
}

export interface StreamingServer {
  /** e.g. http://127.0.0.1:PORT */
  baseUrl: string;
  urlFor(kind: StreamingKind, token: string): string;
  close(): Promise<void>;
}

const DEFAULT_IDLE_TIMEOUT_MS = 4 * 60 * 60 * 1000;
const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;
const KINDS: ReadonlySet<string> = new Set<StreamingKind>(['exec', 'attach', 'portforward']);

/**
 * The HTTP server kubelet (or crictl) connects to with the URL an
 * Exec/Attach/PortForward RPC returned: /exec/<token>, /attach/<token>,
 * /portforward/<token> (kubelet's layout). The token is taken out of the cache
 * on first use; an unknown, used or expired token is a 404 and nothing runs.
 * The connection is then upgraded to SPDY/3.1 or to a WebSocket.
 */
export async function startStreamingServer(options: StreamingServerOptions): Promise<StreamingServer> {
  const log = options.log.child({ component: 'streaming' });
  const ctx: SessionContext = {
    runner: options.runner,
    forwarder: options.forwarder,
    log,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    streamCreationTimeoutMs: options.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS,
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }) : createHttpServer();
  const upgraded = new Set<Duplex>();
  const websockets = new WebSocketUpgrader();

  const take = (url: string | undefined): StreamingRequest | 'no-route' | undefined => {
    const route = parseRoute(url);
    if (!route) return 'no-route';
    const request = options.cache.consume(route.token);
    return request?.kind === route.kind ? request : undefined;
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const request = take(req.url);
    if (request === undefined || request === 'no-route') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    // A streaming URL is only good for an upgrade; the token is spent either way, as in kubelet.
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('unable to upgrade: missing upgrade headers in request\n');
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', (err: Error) => log.debug({ err: err.message }, 'streaming connection error'));
    const request = take(req.url);
    if (request === undefined || request === 'no-route') {
      if (request === undefined) log.info({ path: redactToken(req.url) }, 'streaming request with an unknown, used or expired token');
      rejectUpgrade(socket, 404, '404 page not found');
      return;
    }
    const sessionCtx = { ...ctx, log: log.child(subject(request)) };
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    let session: Promise<void>;
    if (upgrade === 'websocket') session = websockets.serve(sessionCtx, request, req, socket, head);
    else if (upgrade.includes('spdy/3.1')) session = serveSpdyUpgrade(sessionCtx, request, req, socket, head);
    else {
      rejectUpgrade(socket, 400, `unable to upgrade: missing upgrade headers in request`);
      return;
    }
    session
      .catch((err: unknown) => sessionCtx.log.warn({ err: errorMessage(err) }, 'streaming session failed'))
      .finally(() => {
        // Whatever the session left open (a client that never hung up) goes now.
        setTimeout(() => socket.destroy(), 1_000).unref();
      });
  });

  server.on('clientError', (_err: Error, socket: Duplex) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `${options.tls ? 'https' : 'http'}://${urlHost(options.address)}:${port}`;
  log.info({ baseUrl }, 'streaming server listening');

  return {
    baseUrl,
    urlFor: (kind, token) => `${baseUrl}/${kind}/${encodeURIComponent(token)}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
      await closed;
    },
  };
}

function parseRoute(url: string | undefined): { kind: StreamingKind; token: string } | undefined {
  const path = new URL(url ?? '/', 'http://localhost').pathname;
  const match = /^\/([a-z]+)\/([^/]+)\/?$/.exec(path);
  if (!match?.[1] || !match[2] || !KINDS.has(match[1])) return undefined;
  try {
    return { kind: match[1] as StreamingKind, token: decodeURIComponent(match[2]) };
  } catch {
    return undefined; // malformed escape
  }
}

function subject(request: StreamingRequest): Record<string, string> {
  return request.kind === 'portforward'
    ? { kind: request.kind, podSandboxId: request.podSandboxId }
    : { kind: request.kind, containerId: request.containerId };
}

/** Tokens are credentials: keep them out of logs. */
function redactToken(url: string | undefined): string {
  return (url ?? '').replace(/^(\/[a-z]+\/)[^/?]+/, '$1<token>');
}

function urlHost(address: string): string {
  if (address === '' || address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
