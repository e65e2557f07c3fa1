import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBridgeNetfilter } from '../../../src/doctor/bridge-netfilter.js';
import { checkIpForward } from '../../../src/doctor/ip-forward.js';
import { scratchDir, writeTree } from './scratch.js';

describe('doctor: sysctls from a /proc/sys tree', () => {
  it('ip_forward: 1 is ok, 0 fails with the sysctl to run, a missing key fails', async () => {
    const on = await scratchDir('ipf-on');
    await writeTree(on, { 'net/ipv4/ip_forward': '1\n' });
    assert.equal((await checkIpForward(on)).status, 'ok');

    const off = await scratchDir('ipf-off');
    await writeTree(off, { 'net/ipv4/ip_forward': '0\n' });
    const result = await checkIpForward(off);
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /net\.ipv4\.ip_forward = 0/);
    assert.match(result.fix ?? '', /sysctl -w net\.ipv4\.ip_forward=1/);

    assert.equal((await checkIpForward(await scratchDir('ipf-none'))).status, 'fail');
  });

  it('bridge netfilter: 1 is ok; 0 or no br_netfilter warns with modprobe', async () => {
    const on = await scratchDir('brnf-on');
    await writeTree(on, { 'net/bridge/bridge-nf-call-iptables': '1\n' });
    assert.equal((await checkBridgeNetfilter(on)).status, 'ok');

    const off = await scratchDir('brnf-off');
    await writeTree(off, { 'net/bridge/bridge-nf-call-iptables': '0\n' });
    assert.equal((await checkBridgeNetfilter(off)).status, 'warn');

    const missing = await checkBridgeNetfilter(await scratchDir('brnf-none'));
    assert.equal(missing.status, 'warn');
    assert.match(missing.detail, /br_netfilter is not loaded/);
    assert.match(missing.fix ?? '', /modprobe br_netfilter/);
  });
});
