import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CriError } from '../../../../src/errors.js';
import { resolveFailure } from '../../../../src/image/pull/resolve-failure.js';
import { RegistryHttpError } from '../../../../src/image/registry/registry-client.js';

const refused = { host: 'registry.example', err: new Error('connect ECONNREFUSED 127.0.0.1:9') };
const notFound = { host: '127.0.0.1:5000', err: new RegistryHttpError(404, '127.0.0.1:5000: manifest for no/such:v1: HTTP 404') };

describe('resolveFailure', () => {
  it('is NotFound when a mirror lacks the tag and the registry itself cannot be reached, naming the reference', () => {
    const err = resolveFailure('registry.example/no/such:v1', [notFound, refused]);
    assert.equal(err.kind, 'NotFound');
    assert.match(err.message, /registry\.example\/no\/such:v1/);
    assert.match(err.message, /ECONNREFUSED/);
  });

  it('is Unavailable when no endpoint could be reached', () => {
    assert.equal(resolveFailure('registry.example/a:v1', [refused, { ...refused, host: 'mirror' }]).kind, 'Unavailable');
  });

  it('is Unavailable when an endpoint answered an error status other than 404, which outranks not found', () => {
    const broken = { host: 'mirror', err: new RegistryHttpError(500, 'mirror: HTTP 500') };
    assert.equal(resolveFailure('registry.example/a:v1', [broken, notFound]).kind, 'Unavailable');
  });

  it('is Unauthenticated when a registry refused the credentials, whatever else failed', () => {
    const denied = { host: 'registry.example', err: new RegistryHttpError(401, 'HTTP 401') };
    assert.equal(resolveFailure('registry.example/a:v1', [notFound, denied]).kind, 'Unauthenticated');
  });

  it('passes an invalid manifest on as it is', () => {
    const invalid = new CriError('InvalidArgument', 'manifest of registry.example/a:v1 is not JSON');
    assert.equal(resolveFailure('registry.example/a:v1', [{ host: 'registry.example', err: invalid }, refused]), invalid);
  });
});
