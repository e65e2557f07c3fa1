import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRuntimeFeatures } from '../../../src/host/runtime-features.js';

// Abridged from `runc features` of Debian's runc 1.1.5 and of runc 1.4.0.
const RUNC_1_1 = { ociVersionMin: '1.0.0', mountOptions: ['bind', 'rbind', 'ro'], linux: { namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'] } };
const RUNC_1_4 = { ...RUNC_1_1, mountOptions: ['bind', 'rbind', 'ro', 'rro'], linux: { namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'], mountExtensions: { idmap: { enabled: true } } } };

describe('OCI runtime features', () => {
  it("finds user namespace support in runc 1.4's idmap mounts, and none in runc 1.1 (user namespaces without idmapped mounts)", () => {
    assert.deepEqual(parseRuntimeFeatures(JSON.stringify(RUNC_1_1)), { recursiveReadOnlyMounts: false, userNamespaces: false });
    assert.deepEqual(parseRuntimeFeatures(JSON.stringify(RUNC_1_4)), { recursiveReadOnlyMounts: true, userNamespaces: true });
  });

  it('needs both the user namespace and enabled idmap mounts, as containerd does', () => {
    const noUser = { ...RUNC_1_4, linux: { ...RUNC_1_4.linux, namespaces: ['mount', 'pid'] } };
    const idmapOff = { ...RUNC_1_4, linux: { ...RUNC_1_4.linux, mountExtensions: { idmap: { enabled: false } } } };
    assert.equal(parseRuntimeFeatures(JSON.stringify(noUser)).userNamespaces, false);
    assert.equal(parseRuntimeFeatures(JSON.stringify(idmapOff)).userNamespaces, false);
    assert.equal(parseRuntimeFeatures('{}').userNamespaces, false);
  });
});
