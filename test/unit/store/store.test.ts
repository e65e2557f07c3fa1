import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CriError } from '../../../src/errors.js';
import { resolveIdPrefix } from '../../../src/store/id-index.js';
import { KeyedLock } from '../../../src/store/keyed-lock.js';

describe('ID prefixes', () => {
  const ids = ['abc123', 'abd456', 'ffff'];
  it('resolves full IDs and unique prefixes', () => {
    assert.equal(resolveIdPrefix(ids, 'abc123', 'pod'), 'abc123');
    assert.equal(resolveIdPrefix(ids, 'abc', 'pod'), 'abc123');
    assert.equal(resolveIdPrefix(ids, 'f', 'pod'), 'ffff');
  });
  it('says NotFound for no match and InvalidArgument for an ambiguous prefix', () => {
    assert.throws(() => resolveIdPrefix(ids, 'zz', 'pod sandbox'), (e: unknown) => e instanceof CriError && e.kind === 'NotFound' && e.message.includes('pod sandbox'));
    assert.throws(() => resolveIdPrefix(ids, 'ab', 'pod'), (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument' && e.message.includes('ambiguous'));
    assert.throws(() => resolveIdPrefix(ids, '', 'pod'), (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument');
  });
});

describe('KeyedLock', () => {
  it('serializes work on one key and lets other keys run alongside', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const slow = (key: string, tag: string, ms: number) =>
      lock.run(key, async () => {
        events.push(`${tag} start`);
        await new Promise((r) => setTimeout(r, ms));
        events.push(`${tag} end`);
      });
    await Promise.all([slow('a', 'a1', 30), slow('a', 'a2', 1), slow('b', 'b1', 1)]);
    assert.ok(events.indexOf('a1 end') < events.indexOf('a2 start'), 'a2 waits for a1');
    assert.ok(events.indexOf('b1 end') < events.indexOf('a1 end'), 'b does not wait for a');
  });
  it('releases the key when the work throws', async () => {
    const lock = new KeyedLock();
    await assert.rejects(lock.run('k', async () => Promise.reject(new Error('boom'))));
    assert.equal(await lock.run('k', async () => 'next'), 'next');
  });
});

describe('ObjectIndex', () => {
  it('reserves names so a second object with the same name is AlreadyExists until the first goes', async () => {
    const { ObjectIndex } = await import('../../../src/store/object-index.js');
    const index = new ObjectIndex<{ id: string; nameKey: string }>('pod sandbox', 'remove it first');
    index.reserveName('p_ns_u_0', 'id1');
    assert.throws(() => index.reserveName('p_ns_u_0', 'id2'), (e: unknown) => e instanceof CriError && e.kind === 'AlreadyExists' && e.message.includes('id1'));
    index.add({ id: 'id1', nameKey: 'p_ns_u_0' });
    assert.equal(index.get('id').id, 'id1');
    index.delete('id1');
    index.reserveName('p_ns_u_0', 'id2');
    assert.equal(index.find('id1'), undefined);
  });
});

describe('resolveIdPrefix with a huge ID', () => {
  it('quotes at most 128 characters of it in NotFound, with its length', () => {
    assert.throws(
      () => resolveIdPrefix(['abc123'], 'x'.repeat(1 << 20), 'pod sandbox'),
      (err: unknown) => err instanceof Error && err.message === `pod sandbox "${'x'.repeat(128)}… (1048576 characters)" not found`,
    );
  });
});
