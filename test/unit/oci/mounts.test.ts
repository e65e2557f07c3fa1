import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CriError, isCriError } from '../../../src/errors.js';
import type { Mount__Output } from '../../../src/generated/cri/runtime/v1/Mount.js';
import { defaultSpec } from '../../../src/oci/default-spec.js';
import { toOciMount, withCriMounts } from '../../../src/oci/mounts.js';

function criMount(hostPath: string, extra: Partial<Mount__Output> = {}): Mount__Output {
  return {
    containerPath: '/data',
    hostPath,
    readonly: false,
    selinuxRelabel: false,
    propagation: 'PROPAGATION_PRIVATE',
    uidMappings: [],
    gidMappings: [],
    recursiveReadOnly: false,
    image: null,
    imageSubPath: '',
    mountOptions: [],
    ...extra,
  };
}

describe('toOciMount', () => {
  it('adds the bind mount options kubelet passes in mount_options, once each', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crits-mounts-'));
    const mount = await toOciMount(criMount(dir, { mountOptions: ['noexec', 'nosuid', 'noexec', 'nodev'] }), 0);
    assert.deepEqual(mount.options, ['rbind', 'rprivate', 'rw', 'noexec', 'nosuid', 'nodev']);
  });

  it('refuses an option a bind mount does not take, naming the field and the allowed ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crits-mounts-'));
    await assert.rejects(toOciMount(criMount(dir, { mountOptions: ['nosuid', 'exec'] }), 2), (err: unknown) => {
      assert.ok(err instanceof CriError && err.kind === 'InvalidArgument');
      assert.match(err.message, /^mounts\[2\]\.mount_options\[1\] "exec" .*noexec, nodev or nosuid/);
      return true;
    });
  });
});

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

  it("stay without idmap in a pod's own user namespace: the kernel cannot idmap an overlay", async () => {
    const mapping = { containerId: 0, hostId: 100000, length: 65536 };
    const mount = await toOciMount(imageMount({ uidMappings: [mapping], gidMappings: [mapping] }), 0, '/mounted/image', true);
    assert.equal(mount.uidMappings, undefined);
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
