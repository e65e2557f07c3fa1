import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniResultError, parseCniResult, podIps } from '../../../src/cni/cni-result.js';

// What the bridge plugin prints for a 0.4.0 and a 1.0.0 config.
const RESULT_040 = {
  cniVersion: '0.4.0',
  interfaces: [
    { name: 'cni0', mac: 'aa:bb:cc:dd:ee:01' },
    { name: 'veth1234', mac: 'aa:bb:cc:dd:ee:02' },
    { name: 'eth0', mac: 'aa:bb:cc:dd:ee:03', sandbox: '/var/run/netns/pod' },
  ],
  ips: [
    { version: '6', address: 'fd00::5/64', gateway: 'fd00::1', interface: 2 },
    { version: '4', address: '10.88.0.5/16', gateway: '10.88.0.1', interface: 2 },
  ],
  routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'fd00::1' }],
  dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
};

const RESULT_100 = {
  cniVersion: '1.0.0',
  interfaces: [
    { name: 'critst0', mac: '02:00:00:00:00:01' },
    { name: 'vethabcd', mac: '02:00:00:00:00:02' },
    { name: 'eth0', mac: '02:00:00:00:00:03', sandbox: '/var/run/netns/pod' },
    { name: 'net1', sandbox: '/var/run/netns/pod' },
  ],
  ips: [
    { address: '10.77.0.9/16', gateway: '10.77.0.1', interface: 2 },
    { address: '192.168.5.3/24', interface: 3 },
    { address: '10.77.0.1/16', interface: 0 },
  ],
  routes: [{ dst: '0.0.0.0/0', gw: '10.77.0.1', mtu: 1400 }],
  dns: {},
};

describe('CNI result parsing', () => {
  it('parses a 0.4.0 result (ips carry "version")', () => {
    const result = parseCniResult(RESULT_040);
    assert.equal(result.cniVersion, '0.4.0');
    assert.equal(result.interfaces.length, 3);
    assert.deepEqual(result.interfaces[2], { name: 'eth0', mac: 'aa:bb:cc:dd:ee:03', sandbox: '/var/run/netns/pod' });
    assert.deepEqual(result.ips[1], { address: '10.88.0.5/16', gateway: '10.88.0.1', interface: 2 });
    assert.deepEqual(result.routes, [{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'fd00::1' }]);
    assert.deepEqual(result.dns, { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] });
  });

  it('parses a 1.0.0 result', () => {
    const result = parseCniResult(RESULT_100);
    assert.equal(result.cniVersion, '1.0.0');
    assert.deepEqual(result.interfaces[0], { name: 'critst0', mac: '02:00:00:00:00:01' });
    assert.equal(result.ips.length, 3);
    assert.deepEqual(result.routes, [{ dst: '0.0.0.0/0', gw: '10.77.0.1', mtu: 1400 }]);
    assert.deepEqual(result.dns, {});
  });

  it('converts a 0.2.0 result (ip4/ip6 blocks)', () => {
    const result = parseCniResult({
      cniVersion: '0.2.0',
      ip4: { ip: '10.1.0.4/24', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0' }] },
      dns: { nameservers: ['1.1.1.1'] },
    });
    assert.deepEqual(result.ips, [{ address: '10.1.0.4/24', gateway: '10.1.0.1' }]);
    assert.deepEqual(result.routes, [{ dst: '0.0.0.0/0' }]);
    assert.deepEqual(podIps(result, 'eth0'), ['10.1.0.4']);
  });

  it('refuses malformed results, saying which field is wrong', () => {
    assert.throws(() => parseCniResult('nope'), CniResultError);
    assert.throws(() => parseCniResult({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.1' }] }), /ips\[0\]\.address must be a CIDR/);
    assert.throws(
      () => parseCniResult({ cniVersion: '1.0.0', interfaces: [], ips: [{ address: '10.0.0.1/8', interface: 1 }] }),
      /ips\[0\]\.interface 1 is not an index/,
    );
    assert.throws(() => parseCniResult({ cniVersion: '1.0.0', interfaces: [{ mac: 'x' }] }), /interfaces\[0\]\.name is required/);
    assert.throws(() => parseCniResult({ cniVersion: '1.0.0', routes: [{ dst: 'default' }] }), /routes\[0\]\.dst must be a CIDR/);
  });
});

describe('podIps', () => {
  it('picks the IPs of the named interface inside the netns, IPv4 first', () => {
    assert.deepEqual(podIps(parseCniResult(RESULT_040), 'eth0'), ['10.88.0.5', 'fd00::5']);
  });

  it('ignores host-side interfaces and other pod interfaces', () => {
    const result = parseCniResult(RESULT_100);
    assert.deepEqual(podIps(result, 'eth0'), ['10.77.0.9']);
    assert.deepEqual(podIps(result, 'net1'), ['192.168.5.3']);
    // critst0 has the gateway address but no sandbox: not a pod IP
    assert.deepEqual(podIps(result, 'critst0'), []);
    assert.deepEqual(podIps(result, 'eth9'), []);
  });

  it('falls back to all IPs when none carries an interface index', () => {
    const result = parseCniResult({
      cniVersion: '1.0.0',
      ips: [{ address: 'fd00::7/64' }, { address: '10.3.0.7/24' }],
    });
    assert.deepEqual(podIps(result, 'eth0'), ['10.3.0.7', 'fd00::7']);
  });
});
