import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sandbox } from '../../../src/sandbox/sandbox.js';
import { podCgroupPath } from '../../../src/stats/pod-cgroup.js';

const pod = (cgroupParent: string, cgroupsPath: string): Pick<Sandbox, 'metadata'> =>
  ({ metadata: { config: { linux: { cgroupParent } }, cgroupsPath } }) as unknown as Pick<Sandbox, 'metadata'>;

describe("a pod's cgroup", () => {
  it('is its cgroup parent with the cgroupfs driver', () => {
    assert.equal(podCgroupPath(pod('/kubepods/burstable/pod1', '/kubepods/burstable/pod1/abc')), '/kubepods/burstable/pod1');
  });

  it("is the parent slice expanded with the systemd driver, as kubelet's pod slice lives", () => {
    assert.equal(
      podCgroupPath(pod('kubepods-burstable-pod1.slice', 'kubepods-burstable-pod1.slice:cri-ts:abc')),
      '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice',
    );
  });

  it("is the pause container's own cgroup when the pod has no parent", () => {
    assert.equal(podCgroupPath(pod('', '/k8s.io/abc')), '/k8s.io/abc');
    assert.equal(podCgroupPath(pod('', 'system.slice:cri-ts:abc')), 'system.slice:cri-ts:abc');
  });
});
