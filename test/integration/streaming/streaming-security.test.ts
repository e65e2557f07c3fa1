import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startStack, type TestStack } from '../../harness/stack.js';

/** The streaming server's base URL, from cri-ts's log. */
async function streamingUrl(stack: TestStack): Promise<URL> {
  const match = /"baseUrl":"([^"]+)"/.exec(await stack.criTs.log());
  assert.ok(match?.[1], 'cri-ts logged where the streaming server listens');
  return new URL(match[1]);
}

describe('streaming and socket security', () => {
  let stack: TestStack;

  before(async () => {
    // No stream_server_address: the default must be loopback. A socket in a directory cri-ts makes.
    stack = await startStack('sec', { topLevelToml: 'enable_tls_streaming = true', socketName: 'run/cri/cri-ts.sock' });
  });

  after(async () => {
    await stack?.stop();
  });

  it('makes the CRI socket 0660 in a directory of mode 0700', async () => {
    const socket = await stat(stack.criTs.socket);
    assert.ok(socket.isSocket());
    assert.equal((socket.mode & 0o777).toString(8), '660');
    assert.equal(((await stat(dirname(stack.criTs.socket))).mode & 0o777).toString(8), '700');
  });

  it('listens for streaming on loopback only, over TLS with a self-signed certificate naming 127.0.0.1', async () => {
    const url = await streamingUrl(stack);
    assert.equal(url.protocol, 'https:');
    assert.equal(url.hostname, '127.0.0.1');
    const tcp = await import('node:fs/promises').then((fs) => fs.readFile('/proc/net/tcp', 'utf8'));
    const portHex = Number(url.port).toString(16).toUpperCase().padStart(4, '0');
    const listening = tcp.split('\n').filter((line) => line.includes(`:${portHex} `) && / 0A /.test(line)).map((line) => line.trim().split(/\s+/)[1]);
    assert.deepEqual(listening, [`0100007F:${portHex}`], 'bound to 127.0.0.1, not a wildcard');

    const socket: TLSSocket = connect({ host: '127.0.0.1', port: Number(url.port), rejectUnauthorized: false });
    await once(socket, 'secureConnect');
    const cert = new X509Certificate(socket.getPeerX509Certificate()?.raw ?? Buffer.alloc(0));
    socket.destroy();
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');

    // A client that trusts that certificate alone gets a verified connection, and an unknown token is a 404.
    const trusted = connect({ host: '127.0.0.1', port: Number(url.port), ca: cert.toString() });
    await once(trusted, 'secureConnect');
    assert.equal(trusted.authorized, true);
    trusted.destroy();
    const answer = await new Promise<number>((resolve, reject) => {
      import('node:https').then((https) =>
        https.get(`${url.origin}/exec/not-a-token`, { ca: cert.toString() }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject),
      );
    });
    assert.equal(answer, 404);
  });
});
