import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OUTPUT_OPTIONS, protoRoot } from '../../../src/proto/descriptors.js';
import { CachedItemEncodings, repeatedFieldOneReply } from '../../../src/server/cached-item-encodings.js';

const listReply = protoRoot('cri').lookupType('runtime.v1.ListPodSandboxResponse');
const decode = (bytes: Buffer): unknown => listReply.toObject(listReply.decode(bytes), OUTPUT_OPTIONS);

function pod(id: string, state: string, labelBytes = 10): Record<string, unknown> {
  return {
    id,
    metadata: { name: `pod-${id}`, uid: `uid-${id}`, namespace: 'default', attempt: 1 },
    state,
    createdAt: '1796245453053000000',
    labels: { app: 'x'.repeat(labelBytes) },
    annotations: { note: 'é' },
    runtimeHandler: '',
  };
}

describe('list replies from cached item encodings', () => {
  it('encodes the same bytes as the generic encoder, for no items, small items and items over 127 and 16383 bytes', () => {
    const encodings = new CachedItemEncodings<object>('runtime.v1.PodSandbox');
    for (const items of [[], [pod('a', 'SANDBOX_READY')], [pod('b', 'SANDBOX_NOTREADY', 200), pod('c', 'SANDBOX_READY', 20_000)]]) {
      const reply = repeatedFieldOneReply(items.map((item) => encodings.bytesOf({}, 'v', () => item)));
      const generic = Buffer.from(listReply.encode(listReply.fromObject({ items })).finish());
      assert.deepEqual(reply.bytes, generic);
      assert.deepEqual(decode(reply.bytes), decode(generic));
    }
  });

  it('encodes an item once per version of the same key, and again when the version or the key changes', () => {
    const encodings = new CachedItemEncodings<object>('runtime.v1.PodSandbox');
    let made = 0;
    const key = {};
    const message = (state: string) => () => {
      made++;
      return pod('a', state);
    };
    const ready = encodings.bytesOf(key, 'SANDBOX_READY', message('SANDBOX_READY'));
    assert.equal(encodings.bytesOf(key, 'SANDBOX_READY', message('SANDBOX_READY')), ready);
    assert.equal(made, 1);
    const notReady = encodings.bytesOf(key, 'SANDBOX_NOTREADY', message('SANDBOX_NOTREADY'));
    assert.equal(made, 2);
    assert.deepEqual((decode(repeatedFieldOneReply([notReady]).bytes) as { items: Array<{ state: string }> }).items[0]?.state, 'SANDBOX_NOTREADY');
    encodings.bytesOf({}, 'SANDBOX_NOTREADY', message('SANDBOX_NOTREADY'));
    assert.equal(made, 3, 'a replaced record is a new key');
  });
});
