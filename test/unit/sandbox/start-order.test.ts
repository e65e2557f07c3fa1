import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodSandboxConfig__Output } from '../../../src/generated/cri/runtime/v1/PodSandboxConfig.js';
import { pauseNeedsNetwork } from '../../../src/sandbox/start-order.js';

const withSysctls = (sysctls: Record<string, string>) => ({ linux: { sysctls } }) as unknown as Pick<PodSandboxConfig__Output, 'linux'>;

describe('pauseNeedsNetwork', () => {
  it('lets the pause task start while CNI runs when no sysctl names an interface', () => {
    assert.equal(pauseNeedsNetwork({ linux: null }), false);
    assert.equal(pauseNeedsNetwork(withSysctls({})), false);
    assert.equal(pauseNeedsNetwork(withSysctls({ 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 1', 'kernel.shm_rmid_forced': '1' })), false);
    assert.equal(pauseNeedsNetwork(withSysctls({ 'net.ipv4.conf.all.forwarding': '1', 'net/ipv6/conf/default/disable_ipv6': '1', 'net.ipv4.neigh.default.gc_thresh1': '1' })), false);
  });

  it('makes the pause task wait for CNI when a sysctl names an interface CNI makes', () => {
    assert.equal(pauseNeedsNetwork(withSysctls({ 'net.ipv4.conf.eth0.forwarding': '1' })), true);
    assert.equal(pauseNeedsNetwork(withSysctls({ 'net/ipv6/conf/eth0/disable_ipv6': '1' })), true);
    assert.equal(pauseNeedsNetwork(withSysctls({ 'net.ipv4.neigh.eth0.gc_stale_time': '60' })), true);
  });
});
