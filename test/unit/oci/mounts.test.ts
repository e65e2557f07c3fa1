import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Mount__Output } from '../../../src/generated/cri/runtime/v1/Mount.js';
import { isCriError } from '../../../src/errors.js';
import { defaultSpec } from '../../../src/oci/default-spec.js';
import { toOciMount, withCriMounts } from '../../../src/oci/mounts.js';

const imageMount = (extra: Partial<Mount__Output> = {}): Mount__Output =>
  ({
    containerPath: '/mnt/image-volume',
    hostPath: '',
    readonly: true,
    propagation: 'PROPAGATION_PRIVATE',
    recursiveReadOnly: false,
    image: { image: 'sha256:abc', annotations: {}, userSpecifiedImage: '', runtimeHandler: '', imageRef: '' },
    imageSubPath: '',
    ...extra,
  }) as Mount__Output;

describe('image mounts in the OCI spec', () => {
  it('bind the directory the image was mounted at, read-only, nosuid and nodev, but executable', async () => {
    assert.deepEqual(await toOciMount(imageMount(), 0, '/root/containers/c1/image-mounts/0/etc'), {
      destination: '/mnt/image-volume',
      type: 'bind',
      source: '/root/containers/c1/image-mounts/0/etc',
      options: ['rbind', 'rprivate', 'ro', 'nosuid', 'nodev'],
    });
  });

  it('are refused without a mounted image to bind', async () => {
    await assert.rejects(toOciMount(imageMount(), 3), (err: unknown) => isCriError(err, 'InvalidArgument') && err.message.startsWith('mounts[3].image'));
  });

  it('take their sources by index among host path mounts', async () => {
    const spec = defaultSpec();
    const hostMount = { ...imageMount({ image: null, hostPath: '/proc', readonly: false }), containerPath: '/host-proc' } as Mount__Output;
    await withCriMounts(spec, [hostMount, imageMount()], [], new Map([[1, '/mounted/image']]));
    const found = (destination: string) => spec.mounts?.find((m) => m.destination === destination);
    assert.equal(found('/mnt/image-volume')?.source, '/mounted/image');
    assert.deepEqual(found('/host-proc'), { destination: '/host-proc', type: 'bind', source: '/proc', options: ['rbind', 'rprivate', 'rw'] });
  });
});
