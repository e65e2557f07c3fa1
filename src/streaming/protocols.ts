import type { ChannelCodec } from './ws-channels.js';

// Protocol names and what each implies, as kubelet's streaming server knows them.

/** remotecommand over SPDY, in kubelet's preference order (the client's order decides). */
export const SPDY_REMOTECOMMAND_PROTOCOLS = [
  'v5.channel.k8s.io', // wire-identical to v4 over SPDY (client-go runs its v4 handler)
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
] as const;

export const PORTFORWARD_PROTOCOL = 'portforward.k8s.io';
/** client-go's NewSPDYOverWebsocketDialer: SPDY frames carried in WebSocket binary messages. */
export const SPDY_TUNNEL_PORTFORWARD_PROTOCOL = `SPDY/3.1+${PORTFORWARD_PROTOCOL}`;

export interface RemoteCommandProtocol {
  /** Status on the error stream: metav1.Status JSON (v4+) or text on failure only. */
  status: 'json' | 'text';
  /** A resize stream is part of the expected set (v3+, tty only). */
  resize: boolean;
}

export function spdyRemoteCommandProtocol(name: string): RemoteCommandProtocol {
  switch (name) {
    case 'v5.channel.k8s.io':
    case 'v4.channel.k8s.io':
      return { status: 'json', resize: true };
    case 'v3.channel.k8s.io':
      return { status: 'text', resize: true };
    default:
      return { status: 'text', resize: false };
  }
}

export interface WebSocketChannelProtocol {
  codec: ChannelCodec;
  status: 'json' | 'text';
  /** v5: the client may half-close a channel with [255, channel]. */
  closeSignal: boolean;
}

/** remotecommand over WebSocket; '' is a client that names no subprotocol. */
export const WEBSOCKET_REMOTECOMMAND_PROTOCOLS: ReadonlyMap<string, WebSocketChannelProtocol> = new Map([
  ['v5.channel.k8s.io', { codec: 'binary', status: 'json', closeSignal: true }],
  ['v4.channel.k8s.io', { codec: 'binary', status: 'json', closeSignal: false }],
  ['v4.base64.channel.k8s.io', { codec: 'base64', status: 'json', closeSignal: false }],
  ['channel.k8s.io', { codec: 'binary', status: 'text', closeSignal: false }],
  ['base64.channel.k8s.io', { codec: 'base64', status: 'text', closeSignal: false }],
  ['', { codec: 'binary', status: 'text', closeSignal: false }],
]);

/** port-forward over WebSocket channels (ports from the URL query). */
export const WEBSOCKET_PORTFORWARD_PROTOCOLS: ReadonlyMap<string, ChannelCodec> = new Map([
  ['v4.channel.k8s.io', 'binary'],
  ['v4.base64.channel.k8s.io', 'base64'],
  [PORTFORWARD_PROTOCOL, 'binary'],
  ['', 'binary'],
]);

/** The first protocol the client lists that the server supports, as httpstream.Handshake and wsstream pick. */
export function negotiate(clientProtocols: readonly string[], supported: (name: string) => boolean): string | undefined {
  return clientProtocols.find(supported);
}

/** Protocol lists from repeated and/or comma-separated headers. */
export function splitHeaderList(value: string | string[] | undefined): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}
