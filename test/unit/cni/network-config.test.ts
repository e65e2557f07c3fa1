import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CniConfigError, loadNetworkConfigs, parseNetworkConfig } from '../../../src/cni/network-config.js';

describe('CNI network config loading', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-cni-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('wraps a single-plugin .conf as a one-plugin list', () => {
    const config = parseNetworkConfig('/x/10-a.conf', JSON.stringify({ cniVersion: '0.4.0', name: 'a', type: 'bridge' }));
    assert.equal(config.name, 'a');
    assert.deepEqual(config.plugins.map((p) => p.type), ['bridge']);
  });

  it('refuses a plugin without a type, naming the file', () => {
    assert.throws(
      () => parseNetworkConfig('/x/10-a.conflist', JSON.stringify({ name: 'a', plugins: [{ type: 'bridge' }, {}] })),
      (err: unknown) => err instanceof CniConfigError && /10-a\.conflist: plugin 1 needs a "type"/.test(err.message),
    );
  });

  it('picks the lexically first configs and skips broken ones', async () => {
    await writeFile(join(dir, '05-broken.conflist'), '{not json');
    await writeFile(join(dir, '20-b.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'b', plugins: [{ type: 'loopback' }] }));
    await writeFile(join(dir, '10-a.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'bridge' }] }));
    await writeFile(join(dir, 'README'), 'not a config');
    const one = await loadNetworkConfigs(dir, 1);
    assert.deepEqual(one.map((c) => c.name), ['a']);
    const all = await loadNetworkConfigs(dir, 0);
    assert.deepEqual(all.map((c) => c.name), ['a', 'b']);
  });

  it('says why nothing loaded', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'cri-ts-cni-empty-'));
    try {
      await assert.rejects(loadNetworkConfigs(empty, 1), /no network config found in/);
      await assert.rejects(loadNetworkConfigs(join(empty, 'missing'), 1), /cannot read CNI config directory .*ENOENT/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
