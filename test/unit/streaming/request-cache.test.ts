import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CriError } from '../../../src/errors.js';
import { StreamingRequestCache } from '../../../src/streaming/request-cache.js';
import type { StreamingRequest } from '../../../src/streaming/types.js';

const exec: StreamingRequest = { kind: 'exec', containerId: 'c1', cmd: ['sh'], tty: false, stdin: true, stdout: true, stderr: true };
const forward: StreamingRequest = { kind: 'portforward', podSandboxId: 'p1', ports: [80] };

describe('StreamingRequestCache', () => {
  it('hands a request out once', () => {
    const cache = new StreamingRequestCache();
    const token = cache.insert(exec);
    assert.deepEqual(cache.consume(token), exec);
    assert.equal(cache.consume(token), undefined);
  });

  it('knows nothing of tokens it did not issue', () => {
    const cache = new StreamingRequestCache();
    cache.insert(exec);
    assert.equal(cache.consume('nope'), undefined);
    assert.equal(cache.consume(''), undefined);
  });

  it('makes URL-safe tokens of at least 128 bits, all different', () => {
    const cache = new StreamingRequestCache(60_000, 10_000);
    const tokens = new Set<string>();
    for (let i = 0; i < 1000; i++) tokens.add(cache.insert(forward));
    assert.equal(tokens.size, 1000);
    for (const token of tokens) {
      assert.match(token, /^[A-Za-z0-9_-]+$/);
      assert.ok(Buffer.from(token, 'base64url').length >= 16);
    }
  });

  it('expires requests after the ttl', () => {
    let now = 1_000;
    const cache = new StreamingRequestCache(100, 10, () => now);
    const early = cache.insert(exec);
    const late = cache.insert(forward);
    now += 99;
    assert.deepEqual(cache.consume(early), exec);
    now += 1;
    assert.equal(cache.consume(late), undefined);
    assert.equal(cache.size, 0);
  });

  it('refuses new requests when full of live ones, and takes them again once some expire', () => {
    let now = 0;
    const cache = new StreamingRequestCache(100, 2, () => now);
    const first = cache.insert(exec);
    cache.insert(exec);
    assert.throws(() => cache.insert(exec), (err: unknown) => err instanceof CriError && err.kind === 'ResourceExhausted');
    assert.deepEqual(cache.consume(first), exec);
    cache.insert(exec);
    now = 200;
    assert.doesNotThrow(() => cache.insert(exec));
  });
});

describe('StreamingRequestCache defaults', () => {
  it('keeps a token one minute, as containerd and kubelet do', () => {
    let now = 0;
    const cache = new StreamingRequestCache(undefined, undefined, () => now);
    const early = cache.insert(exec);
    const late = cache.insert(exec);
    now = 59_999;
    assert.deepEqual(cache.consume(early), exec);
    now = 60_000;
    assert.equal(cache.consume(late), undefined);
  });
});
