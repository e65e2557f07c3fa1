import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { formatImageReference, isImageId, parseImageReference, tagReference } from '../../../src/image/reference.js';

const D = `sha256:${'a'.repeat(64)}`;

function normal(ref: string): string {
  return formatImageReference(parseImageReference(ref));
}

describe('image references', () => {
  it('normalises the way kubelet and crictl expect', () => {
    assert.equal(normal('busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normal('busybox:1.36'), 'docker.io/library/busybox:1.36');
    assert.equal(normal('library/busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normal('someone/app'), 'docker.io/someone/app:latest');
    assert.equal(normal('index.docker.io/busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normal('registry.k8s.io/pause:3.10'), 'registry.k8s.io/pause:3.10');
    assert.equal(normal('localhost/app'), 'localhost/app:latest');
    assert.equal(normal('127.0.0.1:5000/a/b/c:v1'), '127.0.0.1:5000/a/b/c:v1');
    assert.equal(normal('gcr.io/k8s-staging-cri-tools/test-image-1'), 'gcr.io/k8s-staging-cri-tools/test-image-1:latest');
  });

  it('keeps digests, alone or with a tag', () => {
    assert.equal(normal(`busybox@${D}`), `docker.io/library/busybox@${D}`);
    assert.equal(normal(`busybox:1.36@${D}`), `docker.io/library/busybox:1.36@${D}`);
    const ref = parseImageReference(`busybox@${D}`);
    assert.equal(ref.tag, undefined);
    assert.equal(tagReference(ref), undefined);
  });

  it('refuses malformed references with InvalidArgument naming them', () => {
    for (const bad of ['', 'busybox/UPPER', 'busybox:', 'busybox:bad tag', 'a//b', '-leading', 'busybox@sha256:123', ':tag', `busybox@sha256:${'A'.repeat(64)}`, 'a b']) {
      assert.throws(
        () => parseImageReference(bad),
        (err: unknown) => err instanceof InvalidArgumentError && err.message.includes(`"${bad}"`),
        bad,
      );
    }
  });

  it('tells image IDs from references', () => {
    assert.equal(isImageId(D), true);
    assert.equal(isImageId('a'.repeat(64)), true);
    assert.equal(isImageId('busybox'), false);
  });
});
