import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../log.js';
import { acceptSpdyUpgrade, rejectUpgrade } from './http-response.js';
import { parsePort } from './portforward/forward.js';
import { servePortForwardSpdy } from './portforward/spdy.js';
import { servePortForwardWebSocket } from './portforward/websocket.js';
import {
  PORTFORWARD_PROTOCOL,
  SPDY_REMOTECOMMAND_PROTOCOLS,
  SPDY_TUNNEL_PORTFORWARD_PROTOCOL,
  WEBSOCKET_PORTFORWARD_PROTOCOLS,
  WEBSOCKET_REMOTECOMMAND_PROTOCOLS,
  negotiate,
  splitHeaderList,
} from './protocols.js';
import { serveRemoteCommandSpdy } from './remotecommand/spdy.js';
import { serveRemoteCommandWebSocket } from './remotecommand/websocket.js';
import type { PortForwarder, RemoteCommandRunner, StreamingRequest } from './types.js';

export interface SessionContext {
  runner: RemoteCommandRunner;
  forwarder: PortForwarder;
  log: Logger;
  idleTimeoutMs: number;
  streamCreationTimeoutMs: number;
}

/** SPDY/3.1 over HTTP/1.1 Upgrade, protocol picked from X-Stream-Protocol-Version (httpstream.Handshake). */
export async function serveSpdyUpgrade(
  ctx: SessionContext,
  request: StreamingRequest,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const supported: readonly string[] = request.kind === 'portforward' ? [PORTFORWARD_PROTOCOL] : SPDY_REMOTECOMMAND_PROTOCOLS;
  const offered = splitHeaderList(req.headers['x-stream-protocol-version']);
  if (offered.length === 0) {
    rejectUpgrade(socket, 400, 'unable to upgrade: header X-Stream-Protocol-Version does not exist in request');
    return;
  }
  const protocol = negotiate(offered, (p) => supported.includes(p));
  if (!protocol) {
    rejectUpgrade(
      socket,
      403,
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`,
      { 'X-Accepted-Stream-Protocol-Versions': [...supported] },
    );
    return;
  }
  acceptSpdyUpgrade(socket, protocol);
  if (head.length > 0) socket.unshift(head);
  const log = ctx.log.child({ transport: 'spdy', protocol });
  log.info('streaming session started');
  if (request.kind === 'portforward') {
    await servePortForwardSpdy({ transport: socket, podSandboxId: request.podSandboxId, forwarder: ctx.forwarder, log, ...timeouts(ctx) });
  } else {
    await serveRemoteCommandSpdy({ transport: socket, protocol, request, runner: ctx.runner, log, ...timeouts(ctx) });
  }
  log.info('streaming session ended');
}

type WebSocketPlan =
  | { serve: 'remotecommand'; protocol: string }
  | { serve: 'portforward-tunnel'; protocol: string }
  | { serve: 'portforward-channels'; protocol: string; ports: number[] }
  | { reject: number; message: string };

/** Which WebSocket subprotocol to speak, decided before the handshake so a mismatch gets a plain HTTP error. */
function planWebSocket(request: StreamingRequest, req: IncomingMessage): WebSocketPlan {
  const offered = splitHeaderList(req.headers['sec-websocket-protocol']);
  const candidates = offered.length > 0 ? offered : [''];
  if (request.kind !== 'portforward') {
    const protocol = negotiate(candidates, (p) => WEBSOCKET_REMOTECOMMAND_PROTOCOLS.has(p));
    return protocol === undefined ? unsupported(offered) : { serve: 'remotecommand', protocol };
  }
  const protocol = negotiate(candidates, (p) => p === SPDY_TUNNEL_PORTFORWARD_PROTOCOL || WEBSOCKET_PORTFORWARD_PROTOCOLS.has(p));
  if (protocol === undefined) return unsupported(offered);
  if (protocol === SPDY_TUNNEL_PORTFORWARD_PROTOCOL) return { serve: 'portforward-tunnel', protocol };
  // Ports in the query (the order the client laid out its channels in), else those of the PortForward RPC.
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams.getAll('port');
  const texts = query.flatMap((q) => q.split(','));
  const ports = texts.map((t) => parsePort(t.trim()));
  if (ports.some((p) => p === undefined)) return { reject: 400, message: `unable to parse ports ${JSON.stringify(query)}` };
  const chosen = ports.length > 0 ? ports.filter((p): p is number => p !== undefined) : request.ports;
  if (chosen.length === 0) return { reject: 400, message: 'query parameter "port" is required' };
  return { serve: 'portforward-channels', protocol, ports: chosen };
}

function unsupported(offered: string[]): WebSocketPlan {
  return { reject: 403, message: `requested protocol(s) are not supported: [${offered.join(' ')}]` };
}

/**
 * Performs WebSocket handshakes. The subprotocol is chosen by us beforehand and
 * written into the 101 directly: ws would refuse "SPDY/3.1+portforward.k8s.io"
 * (a '/' is not allowed in an RFC 6455 token), which client-go sends anyway.
 */
export class WebSocketUpgrader {
  private readonly chosen = new WeakMap<IncomingMessage, string>();
  private ws: Promise<{ wss: WebSocketServer; createWebSocketStream: typeof import('ws').createWebSocketStream }> | undefined;

  /** ws is loaded with the first WebSocket session: most nodes never see one, and loading it lengthened every start. */
  private load(): Promise<{ wss: WebSocketServer; createWebSocketStream: typeof import('ws').createWebSocketStream }> {
    this.ws ??= import('ws').then(({ WebSocketServer, createWebSocketStream }) => {
      const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
      wss.on('headers', (headers: string[], req: IncomingMessage) => {
        const protocol = this.chosen.get(req);
        if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
      });
      return { wss, createWebSocketStream };
    });
    return this.ws;
  }

  async serve(ctx: SessionContext, request: StreamingRequest, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const plan = planWebSocket(request, req);
    if ('reject' in plan) {
      rejectUpgrade(socket, plan.reject, plan.message);
      return;
    }
    const { wss, createWebSocketStream } = await this.load();
    this.chosen.set(req, plan.protocol);
    delete req.headers['sec-websocket-protocol'];
    // ws answers a bad handshake itself and drops the socket without calling back.
    const ws = await new Promise<WebSocket | undefined>((resolve) => {
      socket.once('close', () => resolve(undefined));
      wss.handleUpgrade(req, socket, head, resolve);
    });
    if (!ws) return;
    const log = ctx.log.child({ transport: 'websocket', protocol: plan.protocol });
    log.info('streaming session started');
    switch (plan.serve) {
      case 'remotecommand': {
        const protocol = WEBSOCKET_REMOTECOMMAND_PROTOCOLS.get(plan.protocol);
        if (!protocol || request.kind === 'portforward') break;
        await serveRemoteCommandWebSocket({ ws, protocol, request, runner: ctx.runner, log, idleTimeoutMs: ctx.idleTimeoutMs });
        break;
      }
      case 'portforward-tunnel': {
        if (request.kind !== 'portforward') break;
        // SPDY frames ride in binary messages; ending the stream closes the WebSocket normally.
        const transport = createWebSocketStream(ws);
        transport.on('error', (err: Error) => log.debug({ err: err.message }, 'WebSocket tunnel error'));
        await servePortForwardSpdy({ transport, podSandboxId: request.podSandboxId, forwarder: ctx.forwarder, log, ...timeouts(ctx) });
        break;
      }
      case 'portforward-channels': {
        if (request.kind !== 'portforward') break;
        const codec = WEBSOCKET_PORTFORWARD_PROTOCOLS.get(plan.protocol) ?? 'binary';
        await servePortForwardWebSocket({
          ws,
          codec,
          ports: plan.ports,
          podSandboxId: request.podSandboxId,
          forwarder: ctx.forwarder,
          log,
          idleTimeoutMs: ctx.idleTimeoutMs,
        });
        break;
      }
    }
    if (ws.readyState !== ws.CLOSED) ws.close(1000);
    log.info('streaming session ended');
  }
}

function timeouts(ctx: SessionContext): { idleTimeoutMs: number; streamCreationTimeoutMs: number } {
  return { idleTimeoutMs: ctx.idleTimeoutMs, streamCreationTimeoutMs: ctx.streamCreationTimeoutMs };
}
