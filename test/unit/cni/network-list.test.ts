import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseNetworkConfig } from '../../../src/cni/network-config.js';
import {
  addNetworkList,
  checkNetworkList,
  delNetworkList,
  gcNetworkList,
  statusNetworkList,
  type AttachmentRuntime,
} from '../../../src/cni/network-list.js';
import { makeTestDir } from '../../harness/test-dir.js';
import { clearCalls, readCalls, writeFakePlugin } from './fake-plugins.js';

const silent = pino({ level: 'silent' });

const RT: AttachmentRuntime = {
  containerId: 'pod1',
  netns: '/var/run/netns/pod1',
  ifName: 'eth0',
  cniArgs: [['IgnoreUnknown', '1']],
  capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] },
};

function list(cniVersion: string, extra: Record<string, unknown> = {}) {
  return parseNetworkConfig(
    '/conf/10-net.conflist',
    JSON.stringify({
      cniVersion,
      name: 'net',
      ...extra,
      plugins: [{ type: 'first' }, { type: 'second', capabilities: { portMappings: true } }, { type: 'third' }],
    }),
  );
}

describe('CNI network list operations', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let bin: string;

  before(async () => {
    testDir = await makeTestDir('cni-list');
    bin = testDir.dir;
    for (const name of ['first', 'second', 'third']) await writeFakePlugin(bin, name);
  });
  beforeEach(async () => {
    await clearCalls(bin);
  });
  after(async () => {
    await testDir?.remove();
  });

  it('ADD runs the plugins in order, chaining each result as prevResult', async () => {
    const added = await addNetworkList(list('1.0.0'), RT, { binDirs: [bin], log: silent });
    assert.equal(added.result.dns.domain, 'third');
    const calls = await readCalls(bin);
    assert.deepEqual(calls.map((c) => `${c.command} ${c.plugin}`), ['ADD first', 'ADD second', 'ADD third']);
    assert.equal(calls[0]?.input.prevResult, undefined);
    assert.deepEqual((calls[1]?.input.prevResult as { dns: unknown }).dns, { domain: 'first' });
    assert.deepEqual((calls[2]?.input.prevResult as { dns: unknown }).dns, { domain: 'second' });
    // runtimeConfig only for the plugin declaring portMappings
    assert.equal(calls[0]?.input.runtimeConfig, undefined);
    assert.deepEqual(calls[1]?.input.runtimeConfig, { portMappings: RT.capabilityArgs.portMappings });
    for (const call of calls) {
      assert.equal(call.input.name, 'net');
      assert.equal(call.input.cniVersion, '1.0.0');
      assert.equal(call.netns, RT.netns);
      assert.equal(call.containerId, 'pod1');
    }
  });

  it('DEL runs in reverse with the cached result (from 0.4.0 on)', async () => {
    const cached = { cniVersion: '1.0.0', ips: [{ address: '10.0.0.9/24' }] };
    await delNetworkList(list('1.0.0'), RT, cached, { binDirs: [bin], log: silent });
    let calls = await readCalls(bin);
    assert.deepEqual(calls.map((c) => `${c.command} ${c.plugin}`), ['DEL third', 'DEL second', 'DEL first']);
    assert.ok(calls.every((c) => JSON.stringify(c.input.prevResult) === JSON.stringify(cached)));

    await clearCalls(bin);
    await delNetworkList(list('0.3.1'), RT, cached, { binDirs: [bin], log: silent });
    calls = await readCalls(bin);
    assert.equal(calls.length, 3);
    assert.ok(calls.every((c) => c.input.prevResult === undefined), '0.3.x plugins never get prevResult on DEL');
  });

  it('DEL stops at the first failure unless asked to continue', async () => {
    await writeFakePlugin(bin, 'second', { failOn: { command: 'DEL', exitCode: 1, stdout: '{"code":5,"msg":"stuck"}' } });
    try {
      await assert.rejects(delNetworkList(list('1.0.0'), RT, undefined, { binDirs: [bin], log: silent }), /"second" of network "net" failed on DEL/);
      assert.deepEqual((await readCalls(bin)).map((c) => c.plugin), ['third', 'second']);
      await clearCalls(bin);
      await assert.rejects(
        delNetworkList(list('1.0.0'), RT, undefined, { binDirs: [bin], log: silent }, { continueOnError: true }),
        /"second" of network "net" failed on DEL: CNI error code 5 \(I\/O failure\): stuck/,
      );
      assert.deepEqual((await readCalls(bin)).map((c) => c.plugin), ['third', 'second', 'first']);
    } finally {
      await writeFakePlugin(bin, 'second');
    }
  });

  it('CHECK runs in order, but not below 0.4.0 nor with disableCheck', async () => {
    const cached = { cniVersion: '1.0.0' };
    assert.equal(await checkNetworkList(list('1.0.0'), RT, cached, { binDirs: [bin], log: silent }), true);
    assert.deepEqual((await readCalls(bin)).map((c) => `${c.command} ${c.plugin}`), ['CHECK first', 'CHECK second', 'CHECK third']);
    await clearCalls(bin);
    assert.equal(await checkNetworkList(list('0.3.1'), RT, cached, { binDirs: [bin], log: silent }), false);
    assert.equal(await checkNetworkList(list('1.0.0', { disableCheck: true }), RT, cached, { binDirs: [bin], log: silent }), false);
    assert.deepEqual(await readCalls(bin), []);
  });

  it('STATUS and GC only from 1.1.0 on', async () => {
    assert.equal(await statusNetworkList(list('1.0.0'), { binDirs: [bin], log: silent }), false);
    assert.equal(await gcNetworkList(list('1.0.0'), [], { binDirs: [bin], log: silent }), false);
    assert.deepEqual(await readCalls(bin), []);
    assert.equal(await statusNetworkList(list('1.1.0'), { binDirs: [bin], log: silent }), true);
    assert.equal(await gcNetworkList(list('1.1.0'), [{ containerID: 'pod1', ifname: 'eth0' }], { binDirs: [bin], log: silent }), true);
    const calls = await readCalls(bin);
    assert.deepEqual(calls.map((c) => `${c.command} ${c.plugin}`), ['STATUS first', 'STATUS second', 'STATUS third', 'GC first', 'GC second', 'GC third']);
    assert.equal(calls[0]?.netns, '');
    assert.deepEqual(calls[3]?.input['cni.dev/valid-attachments'], [{ containerID: 'pod1', ifname: 'eth0' }]);
  });
});
