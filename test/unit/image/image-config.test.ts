import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageUser, parseImageConfig } from '../../../src/image/image-config.js';
import { chainIds } from '../../../src/image/chain-ids.js';
import { credentialsFrom } from '../../../src/server/image/pull-image.js';
import { CriError } from '../../../src/errors.js';

describe('image config', () => {
  it('reads the fields containers need and keeps the rest raw', () => {
    const config = parseImageConfig(
      Buffer.from(JSON.stringify({
        architecture: 'amd64',
        config: { User: 'app:staff', Env: ['A=1'], Entrypoint: ['/bin/sh'], Cmd: ['-c', 'true'], WorkingDir: '/w', StopSignal: 'SIGQUIT', Volumes: { '/data': {} }, Labels: { k: 'v' } },
        rootfs: { type: 'layers', diff_ids: ['sha256:a', 'sha256:b'] },
      })),
      'test config',
    );
    assert.equal(config.user, 'app:staff');
    assert.deepEqual(config.entrypoint, ['/bin/sh']);
    assert.deepEqual(config.cmd, ['-c', 'true']);
    assert.deepEqual(config.volumes, ['/data']);
    assert.deepEqual(config.diffIds, ['sha256:a', 'sha256:b']);
    assert.equal(config.raw.architecture, 'amd64');
  });

  it('tolerates a config without a config section', () => {
    const config = parseImageConfig(Buffer.from('{"rootfs":{"diff_ids":[]}}'), 'bare');
    assert.equal(config.user, '');
    assert.deepEqual(config.env, []);
  });

  it('splits the image user the way CRI reports it', () => {
    assert.deepEqual(imageUser(''), {});
    assert.deepEqual(imageUser('1000'), { uid: 1000 });
    assert.deepEqual(imageUser('1000:50'), { uid: 1000 });
    assert.deepEqual(imageUser('nobody'), { username: 'nobody' });
    assert.deepEqual(imageUser('app:staff'), { username: 'app' });
    assert.deepEqual(imageUser('0'), { uid: 0 });
  });
});

describe('chain IDs', () => {
  it('are the diff ID for the first layer, then sha256 of "below diffid"', () => {
    const diffIds = [
      'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4',
      'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4',
    ];
    const chain = chainIds(diffIds);
    assert.equal(chain[0], diffIds[0]);
    // printf '%s %s' DIFFID DIFFID | sha256sum
    assert.equal(chain[1], 'sha256:4c7048f6aa2475cea003298d6f2dd9b9e1295d787015684fc26a77739498dce3');
    assert.deepEqual(chainIds([]), []);
  });
});

describe('CRI AuthConfig', () => {
  it('decodes the docker-style auth field when username and password are unset', () => {
    const creds = credentialsFrom({ username: '', password: '', auth: Buffer.from('alice:s3:cret').toString('base64'), serverAddress: '', identityToken: '', registryToken: '' });
    assert.deepEqual([creds.username, creds.password], ['alice', 's3:cret']);
  });

  it('refuses an auth field that is not user:password', () => {
    assert.throws(
      () => credentialsFrom({ username: '', password: '', auth: Buffer.from('nocolon').toString('base64'), serverAddress: '', identityToken: '', registryToken: '' }),
      (err: unknown) => err instanceof CriError && err.kind === 'InvalidArgument' && err.message.includes('auth.auth'),
    );
  });

  it('passes tokens through', () => {
    const creds = credentialsFrom({ username: '', password: '', auth: '', serverAddress: '', identityToken: 'refresh', registryToken: 'bearer' });
    assert.deepEqual([creds.identityToken, creds.registryToken], ['refresh', 'bearer']);
  });
});
