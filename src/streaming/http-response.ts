import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers an upgrade request we will not honour: Node hands those over as a
 * bare socket, so the response is written by hand (text body as Go's http.Error).
 */
export function rejectUpgrade(socket: Duplex, status: number, body: string, headers: Record<string, string | string[]> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = body.endsWith('\n') ? body : `${body}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: text/plain; charset=utf-8',
    'X-Content-Type-Options: nosniff',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
  ];
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** The 101 that turns the connection into a SPDY/3.1 session (spdy.responseUpgrader). */
export function acceptSpdyUpgrade(socket: Duplex, protocol: string): void {
  socket.write(
    [
      'HTTP/1.1 101 Switching Protocols',
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      `X-Stream-Protocol-Version: ${protocol}`,
      `Date: ${new Date().toUTCString()}`,
      '',
      '',
    ].join('\r\n'),
  );
}
