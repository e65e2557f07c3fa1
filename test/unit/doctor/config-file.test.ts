import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkConfigFile } from '../../../src/doctor/config-file.js';
import { scratchDir } from './scratch.js';

describe('doctor: config file', () => {
  it('is ok for a valid file and hands the config on', async () => {
    const file = join(await scratchDir('cfg'), 'ok.toml');
    await writeFile(file, 'sandbox_image = "example.com/pause:1"\n');
    const { result, config } = await checkConfigFile(file);
    assert.equal(result.status, 'ok');
    assert.equal(config?.sandboxImage, 'example.com/pause:1');
  });

  it('fails an invalid file naming the key, and gives no config to check with', async () => {
    const file = join(await scratchDir('cfg-bad'), 'bad.toml');
    await writeFile(file, '[cni]\nmax_conf_num = -3\n');
    const { result, config } = await checkConfigFile(file);
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /config key `cni\.max_conf_num`: must be an integer/);
    assert.equal(config, undefined);
  });

  it('fails a named file that does not exist', async () => {
    const { result } = await checkConfigFile('/nonexistent/cri-ts.toml');
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /cannot read config file \/nonexistent\/cri-ts\.toml/);
  });
});
