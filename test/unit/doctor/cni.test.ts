import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CniConfig } from '../../../src/config/config.js';
import { checkCni } from '../../../src/doctor/cni.js';
import { scratchDir, writeProgram, writeTree } from './scratch.js';

const CONFLIST = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'doctor-net',
  plugins: [{ type: 'bridge', bridge: 'critsdoc0', ipam: { type: 'host-local', ranges: [[{ subnet: '10.229.0.0/16' }]] } }, { type: 'portmap' }],
});

async function fakeCni(plugins: string[], withConfig: boolean, confTemplate = ''): Promise<CniConfig> {
  const dir = await scratchDir('cni');
  await writeTree(dir, withConfig ? { 'net.d/10-doctor.conflist': CONFLIST } : { 'net.d/README': 'not a config' });
  for (const plugin of plugins) await writeProgram(join(dir, 'bin', plugin), '{}');
  return { confDir: join(dir, 'net.d'), binDirs: [join(dir, 'none'), join(dir, 'bin')], maxConfNum: 1, confTemplate, pluginTimeoutMs: 60_000 };
}

describe('doctor: CNI', () => {
  it('is ok when the config\'s plugins, its IPAM plugin included, are in bin_dirs', async () => {
    const result = await checkCni(await fakeCni(['bridge', 'host-local', 'portmap'], true));
    assert.equal(result.status, 'ok', result.detail);
    assert.match(result.detail, /10-doctor\.conflist \(network "doctor-net"\): bridge, host-local, portmap found/);
  });

  it('fails naming each plugin missing from bin_dirs, the IPAM one included', async () => {
    const result = await checkCni(await fakeCni(['bridge'], true));
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /plugins host-local \(network "doctor-net"\), portmap \(network "doctor-net"\) not found in /);
    assert.match(result.fix ?? '', /containernetworking-plugins/);
  });

  it('fails when conf_dir holds no network config', async () => {
    const result = await checkCni(await fakeCni(['bridge'], false));
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /no network config found in .*net\.d/);
  });

  it('only warns when a conf_template will write the config once kubelet sends the pod CIDR', async () => {
    assert.equal((await checkCni(await fakeCni([], false, '/etc/cri-ts/cni-template.json'))).status, 'warn');
  });
});
