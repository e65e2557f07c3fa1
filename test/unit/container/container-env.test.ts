import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envStrings, textEnvs } from '../../../src/container/container-env.js';
import { CriError } from '../../../src/errors.js';

describe('container environment (KeyValue.value is bytes)', () => {
  it('turns UTF-8 values into "KEY=value" strings, byte for byte', () => {
    const envs = [
      { key: 'PLAIN', value: Buffer.from('hello') },
      { key: 'EMPTY', value: Buffer.alloc(0) },
      { key: 'WIDE', value: Buffer.from('grüße, 世界, 🙂') },
      { key: 'EQUALS', value: Buffer.from('a=b=c') },
    ];
    assert.deepEqual(envStrings(envs), ['PLAIN=hello', 'EMPTY=', 'WIDE=grüße, 世界, 🙂', 'EQUALS=a=b=c']);
  });

  it('keeps a leading byte order mark instead of dropping it', () => {
    const [env] = envStrings([{ key: 'BOM', value: Buffer.from([0xef, 0xbb, 0xbf, 0x78]) }]);
    assert.equal(env, 'BOM=\ufeffx');
  });

  it('reads a value that is a view into a larger buffer by its own bytes only', () => {
    const pool = Buffer.from('xxhixx');
    assert.deepEqual(envStrings([{ key: 'K', value: pool.subarray(2, 4) }]), ['K=hi']);
    assert.deepEqual(envStrings([{ key: 'K', value: new Uint8Array(pool.buffer, pool.byteOffset + 2, 2) }]), ['K=hi']);
  });

  it('takes text values as they are (configs and records from before cri-api v0.37)', () => {
    assert.deepEqual(textEnvs([{ key: 'OLD', value: 'text' }]), [{ key: 'OLD', value: 'text' }]);
  });

  for (const [what, bytes] of [
    ['a lone continuation byte', [0x61, 0x80]],
    ['a truncated sequence', [0xe4, 0xb8]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['Latin-1 text', [0x67, 0x72, 0xfc, 0xdf]],
  ] as const) {
    it(`refuses ${what} with InvalidArgument naming the variable`, () => {
      const envs = [
        { key: 'A', value: Buffer.from('ok') },
        { key: 'FOO', value: Buffer.from(bytes) },
      ];
      assert.throws(
        () => envStrings(envs),
        (err: unknown) => err instanceof CriError && err.kind === 'InvalidArgument' && /^config\.envs\[1\] \(FOO\): value is not valid UTF-8/.test(err.message),
      );
    });
  }
});
