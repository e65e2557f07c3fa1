import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CriError } from '../../../src/errors.js';
import type { Mount__Output } from '../../../src/generated/cri/runtime/v1/Mount.js';
import { toOciMount } from '../../../src/oci/mounts.js';

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
