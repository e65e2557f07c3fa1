import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { describe, it } from 'node:test';
import { time } from '../../../src/streaming/der.js';
import { selfSignedCertificate } from '../../../src/streaming/self-signed-cert.js';

describe('selfSignedCertificate', () => {
  it('is a v3 certificate signed by its own key, for a year, naming the given addresses and names', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    const { cert } = selfSignedCertificate(['127.0.0.1', '::1', 'localhost', 'node-1'], now);
    const x509 = new X509Certificate(cert);
    assert.ok(x509.verify(x509.publicKey), 'self-signed');
    assert.equal(x509.ca, false);
    assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(x509.checkIP('::1'), '::1');
    assert.equal(x509.checkHost('node-1'), 'node-1');
    assert.equal(x509.checkIP('10.0.0.1'), undefined);
    assert.equal(new Date(x509.validTo).getTime() - now.getTime(), 365 * 86_400_000);
  });

  it('serves TLS that a client trusting only this certificate accepts for 127.0.0.1', async () => {
    const material = selfSignedCertificate(['127.0.0.1']);
    const server = createServer(material, (_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const socket = connect({ host: '127.0.0.1', port, ca: material.cert, servername: undefined });
      await once(socket, 'secureConnect');
      assert.equal(socket.authorized, true);
      socket.destroy();
      const other = selfSignedCertificate(['127.0.0.1']);
      const refused = connect({ host: '127.0.0.1', port, ca: other.cert });
      const [err] = (await once(refused, 'error')) as [Error];
      assert.match(err.message, /self.signed|unable to verify|signature/i);
    } finally {
      server.close();
    }
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050', () => {
    assert.equal(time(new Date('2049-12-31T23:59:59Z')).toString('latin1'), '\x17\x0d491231235959Z');
    assert.equal(time(new Date('2050-01-01T00:00:00Z')).toString('latin1'), '\x18\x0f20500101000000Z');
  });
});
