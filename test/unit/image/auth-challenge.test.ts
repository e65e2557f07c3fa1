import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuthChallenges } from '../../../src/image/registry/auth-challenge.js';

describe('WWW-Authenticate challenges', () => {
  it('parses a registry bearer challenge', () => {
    assert.deepEqual(
      parseAuthChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:library/busybox:pull"'),
      [{ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:library/busybox:pull' } }],
    );
  });

  it('parses basic with a realm, and several challenges in one header', () => {
    assert.deepEqual(parseAuthChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    assert.deepEqual(parseAuthChallenges('Basic realm="a", Bearer realm="https://t/x", service=reg'), [
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', service: 'reg' } },
    ]);
  });

  it('keeps escaped quotes and commas inside quoted values', () => {
    assert.deepEqual(parseAuthChallenges('Bearer realm="a\\"b",scope="repository:x:pull,push"'), [
      { scheme: 'bearer', params: { realm: 'a"b', scope: 'repository:x:pull,push' } },
    ]);
  });

  it('returns nothing for an empty header', () => {
    assert.deepEqual(parseAuthChallenges(''), []);
  });
});
