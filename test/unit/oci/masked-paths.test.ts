import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, defaultSpec } from '../../../src/oci/default-spec.js';
import { withMaskedAndReadonlyPaths } from '../../../src/oci/masked-paths.js';

describe('withMaskedAndReadonlyPaths', () => {
  it('masks nothing when the security context lists nothing (kubelet\'s procMount Unmasked)', () => {
    const spec = defaultSpec();
    withMaskedAndReadonlyPaths(spec, { maskedPaths: [], readonlyPaths: [] }, false);
    assert.deepEqual(spec.linux?.maskedPaths, []);
    assert.deepEqual(spec.linux?.readonlyPaths, []);
  });

  it('uses each list exactly as given', () => {
    const spec = defaultSpec();
    withMaskedAndReadonlyPaths(spec, { maskedPaths: [...DEFAULT_MASKED_PATHS, '/bin/ls'], readonlyPaths: [] }, false);
    assert.deepEqual(spec.linux?.maskedPaths, [...DEFAULT_MASKED_PATHS, '/bin/ls']);
    assert.deepEqual(spec.linux?.readonlyPaths, []);
    withMaskedAndReadonlyPaths(spec, { maskedPaths: [], readonlyPaths: [...DEFAULT_READONLY_PATHS, '/tmp'] }, false);
    assert.deepEqual(spec.linux?.maskedPaths, []);
    assert.deepEqual(spec.linux?.readonlyPaths, [...DEFAULT_READONLY_PATHS, '/tmp']);
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

  it('does not share the given arrays', () => {
    const spec = defaultSpec();
    const given = ['/proc/kcore'];
    withMaskedAndReadonlyPaths(spec, { maskedPaths: given, readonlyPaths: [] }, false);
    spec.linux!.maskedPaths!.push('/x');
    assert.deepEqual(given, ['/proc/kcore']);
  });
});
