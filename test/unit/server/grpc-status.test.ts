import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError } from '../../../src/errors.js';
import { MAX_STATUS_MESSAGE_CHARS, toServiceError } from '../../../src/server/grpc-status.js';

describe('toServiceError', () => {
  it('maps the error kind to its code and keeps a short message as it is', () => {
    assert.deepEqual(toServiceError(new NotFoundError('pod sandbox "abc" not found')), { code: grpc.status.NOT_FOUND, details: 'pod sandbox "abc" not found' });
    assert.deepEqual(toServiceError(new Error('boom')), { code: grpc.status.INTERNAL, details: 'boom' });
  });

  it('clips a message that would not fit in an HTTP/2 trailer, saying how long it was', () => {
    const { details } = toServiceError(new NotFoundError(`pod sandbox "${'a'.repeat(1 << 20)}" not found`));
    assert.ok(details.length < MAX_STATUS_MESSAGE_CHARS + 40, `clipped to ${details.length}`);
    assert.match(details, /… \(1048600 characters\)$/);
  });
});

describe('toServiceError with text beyond ASCII', () => {
  it('never cuts a surrogate pair in two when clipping, so the message can be percent-encoded', () => {
    for (const n of [4095, 4096, 4097, 8000]) {
      const { details } = toServiceError(new NotFoundError(`image "${'💥'.repeat(n)}" not found`));
      assert.doesNotThrow(() => encodeURI(details), `${n} emoji`);
    }
  });

  it('replaces a lone surrogate half in a message', () => {
    assert.equal(toServiceError(new NotFoundError('bad \uD83D here')).details, 'bad \uFFFD here');
  });
});
