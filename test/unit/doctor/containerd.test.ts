import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configFromToml, type ContainerdConfig } from '../../../src/config/config.js';
import { checkContainerd } from '../../../src/doctor/containerd.js';
import { ContainerdProbe } from '../../../src/doctor/containerd-probe.js';
import { scratchDir, writeProgram } from './scratch.js';

/** A containerd config whose addresses nobody listens on. */
async function silentContainerd(managed: Partial<ContainerdConfig['managed']>): Promise<ContainerdConfig> {
  const dir = await scratchDir('ctrd');
  const base = configFromToml({}).containerd;
  return { ...base, address: join(dir, 'containerd.sock'), managed: { ...base.managed, address: join(dir, 'managed.sock'), ...managed } };
}

async function check(config: ContainerdConfig, searchPath?: string): Promise<ReturnType<typeof checkContainerd>> {
  const probe = new ContainerdProbe(config, 500);
  after(() => probe.close());
  return checkContainerd(config, probe, searchPath);
}

describe('doctor: containerd', () => {
  it('fails when nothing answers and cri-ts may not start its own', async () => {
    const config = await silentContainerd({ enabled: false });
    const result = await check(config);
    assert.equal(result.status, 'fail');
    assert.equal(result.detail, `no socket at ${config.address}`);
    assert.match(result.fix ?? '', /containerd\.managed\.enabled = true/);
  });

  it('fails when the managed containerd\'s binary is missing', async () => {
    const result = await check(await silentContainerd({ enabled: true, binary: '/nonexistent/containerd' }));
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /binary "\/nonexistent\/containerd" is not an executable on PATH/);
  });

  it('is ok when the managed containerd can start, naming its binary and version', async () => {
    const bin = join(await scratchDir('ctrd-bin'), 'bin');
    await writeProgram(join(bin, 'containerd'), 'containerd github.com/containerd/containerd 1.7.3 abcdef');
    const result = await check(await silentContainerd({ enabled: true, binary: 'containerd' }), bin);
    assert.equal(result.status, 'ok', result.detail);
    assert.match(result.detail, new RegExp(`cri-ts will start its own: ${bin}/containerd 1\\.7\\.3`));
  });

  it('warns about a containerd older than 1.6', async () => {
    const bin = join(await scratchDir('ctrd-old'), 'bin');
    await writeProgram(join(bin, 'containerd'), 'containerd github.com/containerd/containerd v1.5.9 abcdef');
    const result = await check(await silentContainerd({ enabled: true, binary: 'containerd' }), bin);
    assert.equal(result.status, 'warn');
    assert.match(result.detail, /older than 1\.6/);
  });
});
