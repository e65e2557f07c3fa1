import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseNetDev, pickDefaultInterface, readNetworkStats } from '../../../src/stats/network-stats.js';

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   16512     192    0    0    0     0          0         0    16512     192    0    0    0     0       0          0
  eth0: 210755602   10133    3    7    0     0          0         0   941656    8996    5    2    0     0       0          0
  net1:1234 5 0 0 0 0 0 0 4321 6 1 0 0 0 0 0
`;

describe('/proc/<pid>/net/dev parsing', () => {
  let procRoot: string;
  before(async () => {
    procRoot = await mkdtemp(join(tmpdir(), 'cri-ts-netdev-'));
    await mkdir(join(procRoot, '4242', 'net'), { recursive: true });
    await writeFile(join(procRoot, '4242', 'net', 'dev'), NET_DEV);
  });
  after(async () => {
    await rm(procRoot, { recursive: true, force: true });
  });

  it('reads rx/tx bytes, packets, errors and drops per interface, without loopback', () => {
    assert.deepEqual(parseNetDev(NET_DEV), [
      { name: 'eth0', rxBytes: 210755602, rxPackets: 10133, rxErrors: 3, rxDropped: 7, txBytes: 941656, txPackets: 8996, txErrors: 5, txDropped: 2 },
      { name: 'net1', rxBytes: 1234, rxPackets: 5, rxErrors: 0, rxDropped: 0, txBytes: 4321, txPackets: 6, txErrors: 1, txDropped: 0 },
    ]);
    assert.deepEqual(parseNetDev('garbage\n  x: 1 2 3\n'), []);
  });

  it('picks eth0 (or the named interface) as default, else the first', () => {
    const interfaces = parseNetDev(NET_DEV);
    assert.equal(pickDefaultInterface(interfaces)?.name, 'eth0');
    assert.equal(pickDefaultInterface(interfaces, 'net1')?.name, 'net1');
    assert.equal(pickDefaultInterface(interfaces.slice(1))?.name, 'net1');
    assert.equal(pickDefaultInterface([]), undefined);
  });

  it('reads a process namespace through the proc root, undefined when the process is gone', async () => {
    const stats = await readNetworkStats(4242, undefined, { procRoot });
    assert.ok(stats);
    assert.equal(typeof stats.timestampNs, 'bigint');
    assert.deepEqual(stats.interfaces.map((i) => i.name), ['eth0', 'net1']);
    assert.equal(stats.defaultInterface?.name, 'eth0');
    assert.equal((await readNetworkStats(4242, 'net1', { procRoot }))?.defaultInterface?.name, 'net1');
    assert.equal(await readNetworkStats(4243, undefined, { procRoot }), undefined);
  });
});
