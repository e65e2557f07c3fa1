import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlockDeviceNames, devName } from '../../../src/stats/block-devices.js';

describe('block device names', () => {
  let sys: string;
  before(async () => {
    sys = await mkdtemp(join(tmpdir(), 'cri-ts-sys-'));
    await mkdir(join(sys, 'dev', 'block', '253:0'), { recursive: true });
    await writeFile(join(sys, 'dev', 'block', '253:0', 'uevent'), 'MAJOR=253\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n');
  });
  after(async () => {
    await rm(sys, { recursive: true, force: true });
  });

  it('names a device from sysfs, by its numbers when sysfs does not know it', async () => {
    const names = new BlockDeviceNames(sys);
    assert.equal(await names.name(253, 0), '/dev/vda');
    assert.equal(await names.name(8, 16), '8:16');
    assert.equal(devName('MAJOR=1\n'), undefined);
  });
});
