import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../../src/errors.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, defaultSpec } from '../../../../src/container/spec/default-spec.js';
import { withMaskedAndReadonlyPaths } from '../../../../src/container/spec/masked-paths.js';

describe('withMaskedAndReadonlyPaths', () => {
  it('keeps the defaults when the security context gives none', () => {
    const spec = defaultSpec();
    withMaskedAndReadonlyPaths(spec, { maskedPaths: [], readonlyPaths: [] }, false);
    assert.deepEqual(spec.linux?.maskedPaths, DEFAULT_MASKED_PATHS);
    assert.deepEqual(spec.linux?.readonlyPaths, DEFAULT_READONLY_PATHS);
  });

  it('replaces each default list with a given one', () => {
    const spec = defaultSpec();
    withMaskedAndReadonlyPaths(spec, { maskedPaths: ['/bin/ls'], readonlyPaths: [] }, false);
    assert.deepEqual(spec.linux?.maskedPaths, ['/bin/ls']);
    assert.deepEqual(spec.linux?.readonlyPaths, DEFAULT_READONLY_PATHS);
    withMaskedAndReadonlyPaths(spec, { maskedPaths: [], readonlyPaths: ['/tmp'] }, false);
    assert.deepEqual(spec.linux?.maskedPaths, DEFAULT_MASKED_PATHS);
    assert.deepEqual(spec.linux?.readonlyPaths, ['/tmp']);
  });

  it('clears both for a privileged container', () => {
    const spec = defaultSpec();
    withMaskedAndReadonlyPaths(spec, { maskedPaths: ['/bin/ls'], readonlyPaths: ['/tmp'] }, true);
    assert.equal(spec.linux?.maskedPaths, undefined);
    assert.equal(spec.linux?.readonlyPaths, undefined);
  });

  it('refuses relative paths, naming the field', () => {
    assert.throws(
      () => withMaskedAndReadonlyPaths(defaultSpec(), { maskedPaths: ['/proc/kcore', 'tmp'], readonlyPaths: [] }, false),
      (err: unknown) => err instanceof InvalidArgumentError && err.message.includes('linux.security_context.masked_paths[1] "tmp"'),
    );
  });

  it('does not share the default arrays', () => {
    const spec = defaultSpec();
    withMaskedAndReadonlyPaths(spec, { maskedPaths: [], readonlyPaths: [] }, false);
    spec.linux!.maskedPaths!.push('/x');
    assert.ok(!DEFAULT_MASKED_PATHS.includes('/x'));
  });
});
