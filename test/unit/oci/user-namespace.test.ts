import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CriError } from '../../../src/errors.js';
import type { UserNamespace__Output } from '../../../src/generated/cri/runtime/v1/UserNamespace.js';
import { defaultSpec } from '../../../src/oci/default-spec.js';
import { containerUserNamespace, mountIdMappings, podUserNamespace, withHostSysfs, withUserNamespace } from '../../../src/oci/user-namespace.js';

const FIELD = 'linux.security_context.namespace_options.userns_options';
const m = (containerId: number, hostId: number, length: number) => ({ containerId, hostId, length });
const userns = (mode: string, uids = [m(0, 1000, 65536)], gids = uids): UserNamespace__Output => ({ mode, uids, gids }) as UserNamespace__Output;

function invalid(message: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof CriError && err.kind === 'InvalidArgument', String(err));
    assert.match(err.message, message);
    return true;
  };
}

describe("a pod's user namespace options", () => {
  it("is the node's when none are given or mode is NODE", () => {
    assert.deepEqual(podUserNamespace(null), { mode: 'node' });
    assert.deepEqual(podUserNamespace(userns('NODE', [])), { mode: 'node' });
  });

  it('is the pod\'s own for mode POD, with its one uid and one gid mapping as OCI writes them', () => {
    assert.deepEqual(podUserNamespace(userns('POD', [m(0, 1000, 100000)], [m(0, 2000, 65536)])), {
      mode: 'pod',
      uidMapping: { containerID: 0, hostID: 1000, size: 100000 },
      gidMapping: { containerID: 0, hostID: 2000, size: 65536 },
    });
  });

  it('refuses, naming the field: more or fewer than one mapping, container ID 0 unmapped, an empty or overflowing range, CONTAINER, TARGET, NODE with mappings', () => {
    assert.throws(() => podUserNamespace(userns('POD', [m(0, 1000, 100000), m(0, 2000, 100000)])), invalid(new RegExp(`^${FIELD}\\.uids has 2 mappings; mode POD takes exactly one`)));
    assert.throws(() => podUserNamespace(userns('POD', [m(0, 1000, 10)], [])), invalid(new RegExp(`^${FIELD}\\.gids has 0 mappings`)));
    assert.throws(() => podUserNamespace(userns('POD', [m(1, 1000, 100000)])), invalid(new RegExp(`^${FIELD}\\.uids\\[0\\]\\.container_id is 1; the mapping must start at container ID 0`)));
    assert.throws(() => podUserNamespace(userns('POD', [m(0, 1000, 0)])), invalid(/uids\[0\]\.length is 0/));
    assert.throws(() => podUserNamespace(userns('POD', [m(0, 2 ** 32 - 100, 100)])), invalid(/uids\[0\] maps 100 IDs from container ID 0 to host ID 4294967196, past the last valid ID 4294967294/));
    assert.throws(() => podUserNamespace(userns('CONTAINER', [])), invalid(new RegExp(`^${FIELD}\\.mode CONTAINER is not supported`)));
    assert.throws(() => podUserNamespace(userns('TARGET', [])), invalid(/mode TARGET is not supported/));
    assert.throws(() => podUserNamespace(userns('NODE')), invalid(/mode NODE takes no uids or gids/));
  });

  it("gives a container its pod's, and refuses a container asking for another", () => {
    const pod = podUserNamespace(userns('POD'));
    assert.equal(containerUserNamespace(null, pod), pod);
    assert.equal(containerUserNamespace(userns('POD'), pod), pod);
    assert.throws(() => containerUserNamespace(userns('POD', [m(0, 5000, 65536)]), pod), invalid(new RegExp(`^${FIELD} differs from the pod's`)));
    assert.throws(() => containerUserNamespace(userns('NODE', []), pod), invalid(/differs from the pod's/));
    assert.throws(() => containerUserNamespace(userns('POD'), { mode: 'node' }), invalid(/differs from the pod's/));
  });
});

describe('user namespace spec options', () => {
  const mapping = { containerID: 0, hostID: 1000, size: 65536 };

  it('creates the namespace with the mappings, or joins it by path keeping them', () => {
    const created = defaultSpec();
    withUserNamespace(created, { uidMapping: mapping, gidMapping: mapping });
    assert.deepEqual(created.linux?.namespaces?.find((n) => n.type === 'user'), { type: 'user' });
    assert.deepEqual(created.linux?.uidMappings, [mapping]);
    const joined = defaultSpec();
    withUserNamespace(joined, { join: '/proc/42/ns/user', uidMapping: mapping, gidMapping: mapping });
    assert.deepEqual(joined.linux?.namespaces?.find((n) => n.type === 'user'), { type: 'user', path: '/proc/42/ns/user' });
    assert.deepEqual(joined.linux?.gidMappings, [mapping]);
  });

  it("binds the node's /sys read-only in place of sysfs", () => {
    const spec = defaultSpec();
    withHostSysfs(spec);
    assert.deepEqual(spec.mounts?.filter((mount) => mount.destination === '/sys'), [{ destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'rro', 'nosuid', 'nodev', 'noexec'] }]);
  });

  it("makes a CRI mount's mappings OCI's, only in the pod's own user namespace and only both together", () => {
    assert.equal(mountIdMappings({ uidMappings: [], gidMappings: [] }, 'mounts[0]', false), undefined);
    assert.deepEqual(mountIdMappings({ uidMappings: [m(0, 1000, 65536)], gidMappings: [m(0, 1000, 65536)] }, 'mounts[0]', true), { uidMappings: [mapping], gidMappings: [mapping] });
    assert.throws(() => mountIdMappings({ uidMappings: [m(0, 1000, 65536)], gidMappings: [m(0, 1000, 65536)] }, 'mounts[1]', false), invalid(/^mounts\[1\]\.uidMappings: idmapped mounts are for containers of a pod in its own user namespace/));
    assert.throws(() => mountIdMappings({ uidMappings: [m(0, 1000, 65536)], gidMappings: [] }, 'mounts[2]', true), invalid(/^mounts\[2\]: uidMappings and gidMappings go together/));
    assert.throws(() => mountIdMappings({ uidMappings: [m(0, 1000, 0)], gidMappings: [m(0, 1000, 1)] }, 'mounts[3]', true), invalid(/^mounts\[3\]\.uidMappings\[0\]\.length is 0/));
  });
});
